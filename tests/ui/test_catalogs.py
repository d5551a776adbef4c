"""Every string a screen shows goes through the catalogs: each screen is visited, in realistic
states, in French and Chinese, and every message it looked up must have a translation in both
catalogs (an English core or driver message passed through `_` has none, and fails here)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from terminal.health import printer_health
from tests.support import pin_vault
from ui import i18n

pytestmark = pytest.mark.ui
LOCALE = Path(i18n.__file__).resolve().parent / "locale"


def translations(lang: str) -> dict[str, str]:
    with (LOCALE / lang / "LC_MESSAGES" / "pos.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}


ENGLISH = re.compile(r"\b(the|is|not|was|with|check|call|please|payment|scanner|printer|receipt|problem|"
                     r"acquirer|terminal is|run)\b", re.IGNORECASE)
MARKUP = re.compile(r"\[/?[a-z]+(=[^\]]*)?\]")


def shown_texts(app) -> list[str]:
    """The texts on the current screen and in the banners, as the cashier sees them."""
    from kivy.uix.label import Label

    texts = []
    for root in (app.sm.current_screen, app.banners):
        for w in root.walk(restrict=True):
            if isinstance(w, Label) and w.text and w.opacity > 0:
                texts.append(MARKUP.sub("", w.text))
    return texts


def english_in(text: str) -> bool:
    """English words in a French or Chinese screen (codes, ids, amounts and wallet names aside)."""
    return bool(ENGLISH.search(text))


def visit_every_screen(ui, look) -> None:
    """Each screen in the states a cashier meets, with the banners the app raises."""
    from tests.ui.helpers import sell, type_amount
    from tests.ui.test_manager_flows import enter_pin, open_in_history

    app = ui.app
    sale = app.screens["sale"]
    type_amount(ui, "1234")
    ui.tap(sale.tip_buttons["custom"])
    type_amount(ui, "99999")                  # over the tip cap: the warning
    ui.frames(2)
    look()
    sale.clear()
    approved = sell(ui, "1500", "0000")
    look()
    tx = approved.tx
    ui.tap(approved.ids.receipt_btn)
    ui.screen("receipt")
    ui.settle()
    look()
    ui.tap(app.screens["receipt"].ids.done_btn)
    ui.screen("sale")
    declined = sell(ui, "800", "0051")
    assert declined.kind == "declined"
    look()
    ui.tap(declined.ids.new_sale_btn)
    ui.screen("sale")
    app.go("result", tx=None, error=None)           # not confirmed
    ui.frames(2)
    look()
    app.screens["result"].new_sale()
    ui.settle()
    open_in_history(ui, tx.id)
    look()
    ui.tap(app.screens["detail"].ids.refund_btn)
    ui.screen("refund")
    look()
    ui.tap(app.screens["refund"].ids.continue_btn)
    ui.screen("pin")
    enter_pin(ui, "0000")                           # a wrong PIN: tries left
    look()
    ui.tap(app.screens["pin"].ids.override_btn)
    ui.settle()
    look()
    pin_vault(app.terminal).set_pin("manager", "1234")
    for name in ("open", "technician", "lock", "error", "batch", "processing", "scan"):
        app.go(name)
        ui.frames(2)
        ui.settle()
        look()
    app.go("sale")
    from tests.ui.helpers import start_sale
    from ui.events import CoreEvent

    ui.screen("sale")
    start_sale(ui, "100")
    app.worker.run(app.scanner_link.present, "12345")      # not a payment code: refused
    ui.settle()
    look()
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    ui.settle()
    sale.clear()
    app.on_core_event(CoreEvent(kind="fault", tx_id="", detail={"code": "INVALID_SIGNATURE"}))
    app._scanner_health("DISCONNECTED", "serial port /dev/ttyACM0 vanished")
    app.show_print_result(type("R", (), {"printed": False, "message": "paper out", "status": None})())
    app._show_startup_checks({"printer": printer_health("escpos", "PAPER_OUT", "paper out"), "unresolved": 1})
    ui.frames(2)
    look()


def test_every_string_a_screen_shows_is_in_the_french_and_chinese_catalogs(ui):
    """One walk in English (banners raised then), one in French; the messages looked up are the
    same in any language, so both catalogs are checked against them. After each language switch
    the screen and banners are read for English left behind."""
    app = ui.app
    seen: set[str] = set()
    english: dict[str, set[str]] = {"fr_CA": set(), "zh_Hans": set()}

    def look(lang: str) -> None:
        english[lang].update(t for t in shown_texts(app) if english_in(t))
    app.set_language("en")
    i18n.record_msgids(seen)
    try:
        visit_every_screen(ui, lambda: None)
        for lang in ("fr_CA", "zh_Hans"):           # banners and the screen follow a switch
            app.set_language(lang)
            ui.frames(2)
            look(lang)
        app.set_language("fr_CA")
        visit_every_screen(ui, lambda: look("fr_CA"))
        app.set_language("zh_Hans")
        ui.frames(2)
        look("zh_Hans")
    finally:
        i18n.record_msgids(None)
        pin_vault(app.terminal).set_pin("manager", "1234")
    for lang in ("fr_CA", "zh_Hans"):
        catalog = translations(lang)
        missing = sorted(m for m in seen if not catalog.get(m))
        assert not missing, f"{len(missing)} strings shown in {lang} have no translation: {missing}"
        assert not english[lang], f"English text on {lang} screens: {sorted(english[lang])}"


@pytest.mark.parametrize("lang", ["en", "fr_CA", "zh_Hans"])
def test_payment_states_read_as_words_not_identifiers(lang):
    """History and the open-payments list show a payment's state through the catalog: in every
    language it is words, never the journal's identifier (PARTIALLY_REFUNDED, CANCEL_PENDING)."""
    from terminal.states import TxState

    i18n.set_language(lang, i18n.compile_catalogs())
    try:
        shown = {state.value: i18n._(state.value) for state in TxState}
    finally:
        i18n.set_language("en", i18n.compile_catalogs())
    assert not [s for s, text in shown.items() if "_" in text or (s == "UNKNOWN" and text == s)], shown
