"""The refund slip prints the refund's reason in the slip's language (issue #13): the preset's
word as the touchscreen shows it (its catalogs), or the text typed with "other"."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from drivers.printers.text_render import render_text
from terminal.config import load_config
from terminal.receipts import LABELS, ReceiptBuilder
from terminal.records import REFUND_SUCCESS, Refund
from terminal.refund_reasons import PRESETS
from terminal.states import TxState

from .journal_helpers import make_tx

ROOT = Path(__file__).resolve().parents[2]
UI_WORDS = {"reason": "Reason", "returned": "Returned", "damaged": "Damaged", "overcharged": "Overcharged"}


def _slip(locale: str, code: str, text: str = "") -> str:
    config = load_config(str(ROOT / "config" / "demo.toml"))
    tx = make_tx(1500, state=TxState.PARTIALLY_REFUNDED, payment_id="P1", masked_code="281012**********00")
    refund = Refund(id="R1", refund_request_id="RR1", tx_id=tx.id, currency="USD", amount_minor=500,
                    state=REFUND_SUCCESS, created_at="2026-11-29T22:00:00Z", reason_code=code, reason_text=text)
    return render_text(ReceiptBuilder(config=config).refund(tx, refund, locale=locale))


@pytest.mark.parametrize("locale, label, word", [
    ("en_US", "Reason", "Damaged"), ("fr_CA", "Motif", "Endommagé"), ("zh_Hans", "原因", "商品损坏"),
])
def test_the_reason_is_printed_in_the_slips_language(locale, label, word):
    slip = _slip(locale, "damaged")
    line = next(li for li in slip.splitlines() if li.startswith(label))
    assert line.rstrip().endswith(word)


def test_other_prints_what_was_typed_and_no_reason_prints_no_line():
    assert "wrong size" in _slip("fr_CA", "other", "wrong size")
    assert "Reason" not in _slip("en_US", "")


@pytest.mark.parametrize("lang, slip_lang", [("en", "en"), ("fr_CA", "fr"), ("zh_Hans", "zh")])
def test_the_slips_words_are_the_touchscreens(lang, slip_lang):
    """The same word on the button the cashier pressed and on the customer's slip."""
    with (ROOT / "ui" / "locale" / lang / "LC_MESSAGES" / "pos.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    for key, msgid in UI_WORDS.items():
        message = catalog.get(msgid)
        assert message is not None or lang == "en", (lang, msgid)      # English is the msgid itself
        shown = (message.string if message is not None else "") or msgid
        assert LABELS[slip_lang][key] == shown, (lang, key)
    assert set(PRESETS) <= set(UI_WORDS)
