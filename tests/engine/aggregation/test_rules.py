"""The rules a refusal names, the error it raises, container seals and capacities."""

from __future__ import annotations

import pytest

from jejak.engine.aggregation import Rule, Seal, capacity
from jejak.engine.aggregation.rules import refusal
from jejak.engine.codes import Level
from jejak.engine.errors import AggregationRefused, StoreError
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.store import Store
from jejak.testing import FORMAT, make_request


def test_every_rule_has_a_label_a_rule_and_a_hint() -> None:
    for rule in Rule:
        assert rule.label == rule.name.lower()
        assert rule.rule
        assert rule.rule == rule.rule.strip()
        assert not rule.rule.endswith(".")
        assert rule.hint
        assert not rule.hint.endswith(".")
    assert len({rule.rule for rule in Rule}) == len({rule.hint for rule in Rule}) == len(Rule)
    assert (Rule.NOT_COMMISSIONED, Rule.BATCH_CLOSED) == (1, 11)  # stable numbers


def test_a_refusal_says_the_code_what_is_wrong_the_rule_and_a_hint() -> None:
    error = refusal(Rule.OVER_CAPACITY, "(01)08991234567891(21)A", "13 children for 12")
    assert isinstance(error, AggregationRefused)
    assert isinstance(error, StoreError)  # the CLI's store refusals exit 1
    assert (error.rule, error.code) == (Rule.OVER_CAPACITY, "(01)08991234567891(21)A")
    assert str(error) == (
        "Cannot aggregate '(01)08991234567891(21)A': 13 children for 12; a container holds at "
        "most the batch's maximum (Art. 8). Hint: use another container, or unpack some of its "
        "children first."
    )


def test_seals_are_one_byte_with_labels() -> None:
    assert [(s.value, s.label) for s in Seal] == [(0, "open"), (1, "full"), (2, "partial")]


@pytest.mark.parametrize(("per_secondary", "per_tertiary"), [(12, 40), (1, 1), (100, 60)])
def test_capacity_is_the_batchs_request(
    store: Store, per_secondary: int, per_tertiary: int
) -> None:
    record = store.open_batch(make_request("B1", 120, max_per_secondary=per_secondary,
                                           max_per_tertiary=per_tertiary),
                              serial_format=FORMAT, actor="qa")  # fmt: skip
    assert capacity(record, Level.SECONDARY) == per_secondary
    assert capacity(record, Level.TERTIARY) == per_tertiary
    assert capacity(record, Level.PRIMARY) == 0  # a pack holds nothing


def test_an_identification_batch_holds_nothing(store: Store) -> None:
    store.add_product(Product.parse(nie="DBL2012345678A1", name="Parasetamol",
                                    packaging="Dus"), actor="qa")  # fmt: skip
    record = store.open_identification(nie="DBL2012345678A1", batch="I1", packs=5,
                                       validity=Gs1Date.parse_iso("2027-12-31"),
                                       expiry=Gs1Date.parse_iso("2028-06-30"),
                                       actor="qa")  # fmt: skip
    assert [capacity(record, level) for level in Level] == [0, 0, 0]
