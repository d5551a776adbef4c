"""Back on every screen lands on a consistent screen (the PIN screens used to leave an empty
transaction with Void enabled, or a broken refund that then raised on the UI thread), and an
uncaught error on the UI thread shows the error screen instead of closing the app."""
from __future__ import annotations

import pytest
from kivy.clock import Clock

from terminal.wiring import DEMO_MANAGER_PIN
from tests.ui.helpers import sell, start_sale
from tests.ui.test_manager_flows import approved_sale, enter_pin, open_in_history

pytestmark = pytest.mark.ui


def back(ui, screen: str) -> None:
    ui.tap(ui.app.screens[screen].ids.back_btn)
    ui.frames(2)
    ui.settle()


def test_an_uncaught_ui_error_shows_the_error_screen_and_the_till_goes_on(ui):
    app = ui.app

    def bug(_dt):
        raise RuntimeError("a bug in a screen")
    Clock.schedule_once(bug, 0)
    ui.frames(3)
    assert app.current == "error"
    assert [type(e) for e in app.ui_errors] == [RuntimeError]
    app.ui_errors.clear()
    back(ui, "error")
    assert app.current == "sale"
    assert sell(ui, "300", "0000").kind == "approved"       # the app still takes payments


def test_back_on_every_screen_lands_on_a_consistent_screen(ui):
    app = ui.app
    for name in ("history", "batch", "open"):
        app.go(name)
        ui.screen(name)
        back(ui, name)
        assert app.current == "sale", name
    tx = approved_sale(ui, "1500")

    open_in_history(ui, tx.id)
    detail = app.screens["detail"]
    ui.tap(detail.ids.void_btn)                       # void PIN, then Back
    ui.screen("pin")
    assert app.screens["pin"].title == f"Void $15.00 · {tx.masked_code}"   # what is voided, before the PIN
    back(ui, "pin")
    assert app.current == "detail" and detail.tx_id == tx.id and detail.tx.id == tx.id
    assert tx.masked_code in detail.body and detail.can_void

    ui.tap(detail.ids.refund_btn)                     # refund, its PIN, Back, then carry on
    ui.screen("refund")
    refund = app.screens["refund"]
    ui.tap(refund.ids.continue_btn)
    ui.screen("pin")
    back(ui, "pin")
    assert app.current == "refund" and refund.tx_id == tx.id and refund.valid
    ui.tap(refund.ids.continue_btn)
    ui.screen("pin")
    enter_pin(ui, DEMO_MANAGER_PIN)
    ui.screen("detail")
    ui.settle()
    assert "Refunded" in detail.message

    app.go("refund", tx=detail.tx, remaining=detail.remaining())
    ui.screen("refund")
    back(ui, "refund")
    assert app.current == "detail" and detail.tx_id == tx.id
    app.go("lock", back_to="detail")                  # the idle lock, then touch to continue
    ui.screen("lock")
    ui.tap(app.screens["lock"].ids.unlock)
    ui.screen("detail")
    assert detail.tx_id == tx.id and tx.masked_code in detail.body
    back(ui, "detail")
    assert app.current == "history"
    back(ui, "history")
    assert app.current == "sale"

    ui.tap(app.screens["sale"].ids.staff_btn)   # the manager/technician row
    ui.frames(1)
    ui.tap(app.screens["sale"].ids.tech_btn)          # technician PIN, Back
    ui.screen("pin")
    back(ui, "pin")
    assert app.current == "sale"

    start_sale(ui, "275")                             # scan: Cancel is its Back
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    assert app.checkout.state.value == "IDLE" and app.screens["sale"].digits == "275"


def test_detail_offers_no_action_of_the_last_transaction_while_the_next_one_loads(ui):
    """Opening another transaction used to keep the previous one's Void, Refund and Reprint
    enabled until the new one had loaded: a tap then raised on the UI thread (no transaction)."""
    app = ui.app
    approved = approved_sale(ui, "1700")
    result = sell(ui, "1800", "0051")
    declined = result.tx
    ui.tap(result.ids.new_sale_btn)
    ui.screen("sale")
    open_in_history(ui, approved.id)
    detail = app.screens["detail"]
    assert detail.can_void and detail.can_refund
    app.go("detail", tx_id=declined.id)          # loads on the worker; nothing to act on yet
    assert detail.tx is None
    assert all(detail.ids[b].disabled for b in ("void_btn", "refund_btn", "reprint_btn"))
    ui.settle()
    assert detail.tx.id == declined.id and not detail.can_void and not detail.can_refund
    assert not detail.ids.reprint_btn.disabled


def test_an_app_without_a_terminal_or_a_loader_says_what_it_needs():
    from ui.app import PosApp

    with pytest.raises(ValueError, match="needs a terminal .* or a loader"):
        PosApp()


def test_closing_while_a_payment_is_being_checked_warns_first_then_closes(ui):
    from tests.ui.helpers import present

    app = ui.app
    assert app._request_close() is False                   # nothing in flight: closes at once
    start_sale(ui, "420")
    present(ui, "0098")                                     # the acquirer holds its answer
    ui.idle_until(lambda: app.checkout.state.value == "PROCESSING", what="processing")
    assert app._request_close() is True                     # warned, window kept
    assert "still being checked" in app.banners.texts()["closing"]
    assert app._request_close() is False                    # a second close quits
    ui.idle_until(lambda: app.current == "result", what="result")
    ui.settle()
    app._close_warned_at = None
