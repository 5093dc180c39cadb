"""Records the store keeps as JSON: products, and outbox records queued for delivery."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jejak.engine.product import Product

__all__ = ["OutboxRecord", "product_from_json", "product_to_json"]


def product_to_json(product: Product) -> bytes:
    return json.dumps(
        {"nie": product.nie.value, "name": product.name, "packaging": product.packaging,
         "gtin": product.gtin, "dosage_form": product.dosage_form,
         "method": product.method.value, "reason": product.method_reason}
    ).encode()  # fmt: skip


def product_from_json(data: bytes | memoryview) -> Product:
    raw = json.loads(bytes(data))
    method = raw["method"] if raw["reason"] else None
    return Product.parse(nie=raw["nie"], name=raw["name"], packaging=raw["packaging"],
                         gtin=raw["gtin"], dosage_form=raw["dosage_form"], method=method,
                         reason=raw["reason"])  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """Something to deliver later (a report entry), queued by the unit of work that recorded
    the activity it reports, so that the two commit together or not at all.

    ``key`` is the idempotency key of the delivery (the receiver drops a repeat); ``due`` the
    ISO time by which it must be delivered; ``event`` the audit event it belongs to.
    """

    seq: int
    topic: str
    key: str
    due: str
    event: int
    body: Mapping[str, Any]

    def to_json(self) -> bytes:
        return json.dumps({"topic": self.topic, "key": self.key, "due": self.due,
                           "event": self.event, "body": dict(self.body)},
                          sort_keys=True).encode()  # fmt: skip

    @classmethod
    def from_json(cls, seq: int, data: bytes | memoryview) -> OutboxRecord:
        raw = json.loads(bytes(data))
        return cls(seq, raw["topic"], raw["key"], raw["due"], raw["event"], raw["body"])
