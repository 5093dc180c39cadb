"""The one error hierarchy of Jejak.

Every error Jejak raises on purpose is a `JejakError`. Errors about bad input — a value that is
malformed whatever the store holds — are `ValidationError`s, which are also `ValueError`s, and
come in kinds, as python-stdnum does. What the store refuses (an unknown batch or NIE, a
duplicate, an illegal transition) is a `StoreError`: the command line exits 2 for the first and
1 for the second.

>>> issubclass(InvalidChecksum, ValueError)
True

Messages name the offending value with `{value!r}`, say what was expected, and give a hint:

>>> raise InvalidLength("Invalid batch 'ABC': expected 4 to 20 chars, got 3. Hint: ...")
Traceback (most recent call last):
...
jejak.engine.errors.InvalidLength: Invalid batch 'ABC': expected 4 to 20 chars, got 3. Hint: ...
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AggregationRefused",
    "DeviceFault",
    "Duplicate",
    "IllegalTransition",
    "IncompleteCode",
    "InvalidChecksum",
    "InvalidCombination",
    "InvalidComponent",
    "InvalidDate",
    "InvalidFormat",
    "InvalidLength",
    "InvalidQuantity",
    "JejakError",
    "ProtocolError",
    "ReportRefused",
    "ShipmentRefused",
    "StoreCorrupted",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "SymbolError",
    "UnknownApplicationIdentifier",
    "UnknownCode",
    "UnknownNie",
    "ValidationError",
]


class JejakError(Exception):
    """Base of every error Jejak raises on purpose."""


class ValidationError(JejakError, ValueError):
    """Input that is not valid: a value, a file line, a command-line argument."""


class InvalidFormat(ValidationError):
    """A value with characters or structure outside what is allowed."""


class InvalidLength(ValidationError):
    """A value that is too short or too long."""


class InvalidChecksum(ValidationError):
    """A value whose check digit does not match its other digits."""


class InvalidComponent(ValidationError):
    """A value with a part that is out of range: a month 13, a day 32, an unknown class letter."""


class InvalidDate(InvalidComponent):
    """A date that does not exist, or breaks a rule (an expiry in the past)."""


class InvalidQuantity(ValidationError):
    """A count that is zero, negative, or out of the range a rule allows."""


class UnknownApplicationIdentifier(InvalidFormat):
    """A GS1 Application Identifier that Jejak does not support."""


class InvalidCombination(ValidationError):
    """Elements that are each valid but may not go together (a repeated AI, a missing key)."""


class IncompleteCode(InvalidCombination):
    """An element string that lacks an element BPOM requires for its kind of code."""


class IllegalTransition(JejakError):
    """A code-state change the lifecycle table does not allow; nothing is changed."""

    def __init__(
        self, code: str, current: object, target: object, allowed: Iterable[object]
    ) -> None:
        self.code, self.current, self.target = code, current, target
        names = ", ".join(sorted(getattr(s, "label", str(s)) for s in allowed)) or "none (final)"
        super().__init__(
            f"Illegal transition for code {code!r}: from {getattr(current, 'label', current)} to "
            f"{getattr(target, 'label', target)}. Expected one of: {names}. Hint: a code that "
            "may have been printed is never issued again."
        )

    @staticmethod
    def invalid_state(value: object, names: str) -> InvalidFormat:
        return InvalidFormat(
            f"Invalid code state {value!r}: expected one of {names}. Hint: use the OPEN-SCS "
            "name, e.g. 'Commissioned'."
        )

    @staticmethod
    def invalid_level(value: object) -> InvalidFormat:
        return InvalidFormat(
            f"Invalid level {value!r}: expected 'primary', 'secondary' or 'tertiary'. "
            "Hint: primary is the pack, secondary the case, tertiary the pallet."
        )


class StoreError(JejakError):
    """The store refuses an operation: a duplicate batch, a closed batch, an unbalanced close."""


class Duplicate(StoreError):
    """A value that must be unique and is already taken in the store: a batch number, an NIE,
    a code."""


class UnknownNie(StoreError):
    """A marketing-authorisation number (NIE) that no product in the master carries."""


class AggregationRefused(StoreError):
    """An aggregation or rework operation that breaks a rule (`aggregation.Rule`): a code not
    commissioned, already in a case, over capacity ... Nothing is changed. `rule` says which,
    `code` names the offending code (HRI)."""

    def __init__(self, message: str, *, rule: object, code: str) -> None:
        self.rule, self.code = rule, code
        super().__init__(message)


class StoreUnavailable(StoreError):
    """The store cannot be opened here: its path is not a directory, not ours, or unreadable."""


class StoreFull(StoreError):
    """A change could not be written: the disk or the store's map is full, or the disk failed.
    Nothing of the change is stored."""


class StoreCorrupted(StoreError):
    """The store's contents contradict themselves: a broken audit chain, unbalanced counts."""


class UnknownCode(StoreError):
    """A code that no batch of this store issued (a misread, or a counterfeit suspect)."""


class SymbolError(JejakError):
    """A barcode symbol that could not be encoded, or that did not read back as what was encoded."""


class ProtocolError(JejakError):
    """A peer (printer, coder, driver, engine) sent a frame that breaks its protocol."""


class DeviceFault(JejakError):
    """A device reported a fault (out of ink, head open, buffer overflow) or stopped answering."""


class IllegalCommand(JejakError):
    """A PackML command the state model does not allow in the machine's current state (or a unit
    mode change refused there); nothing is changed."""


class LineError(JejakError):
    """The line cannot run or go on as asked: a line configuration that names no usable device,
    a batch the line cannot run, a control request the line refuses."""


class ReportRefused(JejakError):
    """A report that cannot or need not be made from what the store holds: the usage report of
    an identification batch (it needs none), a batch with nothing to report yet."""


class ShipmentRefused(StoreError):
    """A shipment, return or recall that breaks a rule (`shipments.Refusal`): a code inside a
    container, not commissioned, not shipped ... Nothing is changed. `reason` says which,
    `code` names the offending code (HRI)."""

    def __init__(self, message: str, *, reason: object, code: str) -> None:
        self.reason, self.code = reason, code
        super().__init__(message)


class DeliveryFailed(JejakError):
    """Reports could not all be delivered to the regulator's API: it did not answer, answered
    with errors until the retries ran out, or refused records. What was confirmed is marked
    sent; the rest stays queued for the next submission. `outcome` is the last attempt's
    (`store.AttemptOutcome`)."""

    def __init__(self, message: str, *, outcome: object) -> None:
        self.outcome = outcome
        super().__init__(message)
