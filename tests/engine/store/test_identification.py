"""Identification batches (Art. 14-16): pack slots that all carry (90)NIE (91)validity, opened,
printed, listed and closed like any batch, and refused for a product that needs serials."""

from __future__ import annotations

import numpy as np
import pytest

from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import Duplicate, InvalidCombination, InvalidQuantity
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.listing import code_texts
from jejak.engine.product import Product
from jejak.engine.store import Store
from jejak.testing import NIE

OTC = "DBL2012345678A1"
VALID = Gs1Date.parse_iso("2027-12-31")
EXPIRY = Gs1Date.parse_iso("2028-06-30")


@pytest.fixture
def otc(store: Store) -> Store:
    store.add_product(Product.parse(nie=OTC, name="Parasetamol", packaging="Dus"), actor="qa")
    return store


def test_every_pack_slot_carries_the_one_code(otc: Store) -> None:
    record = otc.open_identification(nie=OTC, batch="I1", packs=5, validity=VALID,
                                     expiry=EXPIRY, actor="qa")  # fmt: skip
    assert record.identification is not None
    assert record.identification.hri == "(90)DBL2012345678A1(91)271231"
    assert otc.batch("I1") == record  # stored and read back, validity included
    assert otc.counts("I1")[Level.PRIMARY][CodeState.ALLOCATED] == 5
    assert otc.counts("I1")[Level.SECONDARY] == {}
    with otc.view() as view:
        raw = code_texts(view, record, Level.PRIMARY, np.arange(5, dtype=np.int64))
        hri = code_texts(view, record, Level.PRIMARY, np.arange(2, dtype=np.int64),
                         form=CodeForm.HRI)  # fmt: skip
        assert view.code(record, Level.PRIMARY, 4) == record.identification
    assert raw == [b"90DBL2012345678A1\x1d91271231"] * 5
    assert hri == [b"(90)DBL2012345678A1(91)271231"] * 2
    assert otc.events()[-1].data["code"] == "(90)DBL2012345678A1(91)271231"
    report = otc.close_batch("I1", actor="qa")
    assert report["levels"]["primary"]["after"] == {"SNInvalid": 5}
    assert otc.verify_audit().ok


@pytest.mark.parametrize(
    ("opening", "error", "message"),
    [
        ((NIE, "I2", 5), InvalidCombination,
         ("Invalid identification batch for NIE 'DKL1234567890A1': its product needs "
         "authentication (serialized codes). Hint: open the batch with `jejak batch open`.")),
        ((OTC, "I2", 0), InvalidQuantity,
         "Invalid pack count 0: expected 1 to 1,000,000,000. Hint: the packs the line will run."),
        ((OTC, "I1", 5), Duplicate,
         ("Batch 'I1' already exists. Hint: batch numbers are unique in a store; see it with "
         "`jejak batch show`.")),
    ],
)  # fmt: skip
def test_what_an_identification_batch_refuses(
    otc: Store, opening: tuple[str, str, int], error: type[Exception], message: str
) -> None:
    nie, batch, packs = opening
    otc.open_identification(nie=OTC, batch="I1", packs=1, validity=VALID, expiry=EXPIRY,
                            actor="qa")  # fmt: skip
    before = len(otc.events())
    with pytest.raises(error) as caught:
        otc.open_identification(nie=nie, batch=batch, packs=packs, validity=VALID,
                                expiry=EXPIRY, actor="qa")  # fmt: skip
    assert str(caught.value) == message
    assert len(otc.events()) == before
