"""Languages: catalogs complete and well-formed; the running app switches language with a tap
(texts from .kv and from Python, money through Babel)."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from ui.i18n import LOCALE_DIR, compile_catalogs

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("lang", ["fr_CA", "zh_Hans"])
def test_catalog_is_complete_and_placeholders_match(lang):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "pos.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    for m in messages:
        assert m.string, f"{lang}: untranslated {m.id!r}"
        assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(re.findall(r"%\(\w+\)s", m.string)), m.id


def test_catalogs_compile_to_a_cache(tmp_path):
    out = compile_catalogs(tmp_path)
    assert (out / "zh_Hans" / "LC_MESSAGES" / "pos.mo").stat().st_size > 1000
    assert (out / "fr_CA" / "LC_MESSAGES" / "pos.mo").exists()


def test_language_switch_by_touch(ui):
    app = ui.app
    sale = app.screens["sale"]
    for key in "1250":
        sale.keypad.press(key)
    ui.tap(sale.ids.lang_fr_CA)
    ui.frames(2)
    assert app.lang == "fr_CA"
    assert sale.ids.history_btn.text == "Historique"
    assert sale.charge_text == "Encaisser 12,50\xa0$\xa0US"    # fr_CA: a bare $ would be CAD
    ui.tap(sale.ids.lang_zh_Hans)
    ui.frames(2)
    assert sale.ids.history_btn.text == "交易记录"
    assert sale.charge_text == "收款 US$12.50"
    ui.tap(sale.ids.charge_btn)
    ui.screen("scan")
    ui.settle()
    scan = app.screens["scan"]
    assert scan.total_text == "US$12.50"
    assert any(b.text.startswith("余额不足") for b in scan.phone_buttons.values())
    ui.tap(scan.ids.cancel_btn)
    ui.screen("sale")
    ui.tap(sale.ids.lang_en)
    ui.frames(2)
    assert sale.ids.history_btn.text == "History" and sale.charge_text == "Charge $12.50"


def test_declined_reason_in_french(ui):
    from tests.ui.helpers import sell

    app = ui.app
    ui.tap(app.screens["sale"].ids.lang_fr_CA)
    result = sell(ui, "800", "0054")
    assert result.headline == "Refusé"
    assert result.reason_text.startswith("Refusé : le code de paiement a expiré")
