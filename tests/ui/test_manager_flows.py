"""History, detail, refund and void behind the manager PIN, batch close, technician area,
idle lock and banners: driven through touches on the running app."""
from __future__ import annotations

import pytest

from tests.support import pin_vault, slips_file
from tests.ui.helpers import sell, shown

pytestmark = pytest.mark.ui


def enter_pin(ui, pin: str) -> None:
    pad = ui.app.screens["pin"]
    for key in pin:
        ui.tap(next(w for w in pad.keypad.children if w.text == key))
    ui.tap(pad.ids.ok_btn)
    ui.settle()


def open_in_history(ui, tx_id: str) -> None:
    app = ui.app
    ui.tap(app.screens["sale"].ids.history_btn)
    ui.screen("history")
    ui.settle()
    history = app.screens["history"]
    history.ids.search.text = tx_id
    ui.frames(3)
    row = next(w for w in history.ids.rv.layout_manager.children if w.tx_id == tx_id)
    ui.tap(row)
    ui.screen("detail")
    ui.settle()


def approved_sale(ui, digits: str):
    result = sell(ui, digits, "0000")
    assert result.kind == "approved", shown(result)
    tx = result.tx
    ui.tap(result.ids.new_sale_btn)
    ui.screen("sale")
    ui.settle()
    return tx


def test_refund_with_a_wrong_then_the_right_manager_pin(ui):
    app = ui.app
    tx = approved_sale(ui, "2000")
    open_in_history(ui, tx.id)
    detail = app.screens["detail"]
    assert detail.can_refund and detail.can_void
    ui.tap(detail.ids.refund_btn)
    ui.screen("refund")
    refund = app.screens["refund"]
    assert refund.amount_text == "$20.00"             # prefilled with what is left
    for _ in range(4):
        refund.keypad.press("back")
    for key in "500":
        refund.keypad.press(key)
    assert refund.amount_text == "$5.00"
    ui.tap(refund.ids.continue_btn)
    ui.screen("pin")
    pin = app.screens["pin"]
    enter_pin(ui, "9999")
    assert app.current == "pin"
    assert pin.feedback == "Wrong PIN: 4 tries left." and pin.feedback_level == "error"
    enter_pin(ui, "1234")
    ui.screen("detail")
    ui.settle()
    assert detail.message == "Refunded $5.00."
    assert detail.tx.state.value == "PARTIALLY_REFUNDED"
    assert "Left to refund: $15.00" in detail.body
    assert not detail.can_void                       # refunds exist: refund the rest instead


def test_void_behind_the_manager_pin(ui):
    app = ui.app
    tx = approved_sale(ui, "310")
    open_in_history(ui, tx.id)
    detail = app.screens["detail"]
    ui.tap(detail.ids.void_btn)
    ui.screen("pin")
    enter_pin(ui, "1234")
    ui.screen("detail")
    ui.idle_until(lambda: detail.tx is not None and detail.tx.state.value == "CANCELLED", what="voided")
    assert detail.message.startswith("Voided")


def test_history_search_by_amount_and_masked_code(ui):
    app = ui.app
    tx = approved_sale(ui, "777")
    ui.tap(app.screens["sale"].ids.history_btn)
    ui.screen("history")
    ui.settle()
    history = app.screens["history"]
    assert history.ids.rv.data[0]["tx_id"] == tx.id          # newest first
    history.ids.search.text = "7.77"
    assert [r["tx_id"] for r in history.ids.rv.data] == [tx.id]
    history.ids.search.text = tx.masked_code[-2:]
    assert tx.id in [r["tx_id"] for r in history.ids.rv.data]
    history.ids.search.text = "no such thing"
    assert history.ids.rv.data == []


def open_batch(ui) -> None:
    ui.tap(ui.app.screens["sale"].ids.staff_btn)   # the manager/technician row
    ui.frames(1)
    ui.tap(ui.app.screens["sale"].ids.batch_btn)
    ui.screen("pin")
    enter_pin(ui, "1234")
    ui.screen("batch")
    ui.settle()


def test_batch_close_behind_the_manager_pin_with_a_summary_then_an_empty_batch_is_refused(ui):
    app = ui.app
    approved_sale(ui, "1000")
    open_batch(ui)
    batch = app.screens["batch"]
    assert not batch.closed and "Payments:" in batch.body and "USD" in batch.body   # the summary to confirm
    assert batch.status == "Check the totals, then close the batch."
    ui.tap(batch.ids.close_btn)
    ui.settle()
    assert batch.closed and batch.report is not None
    assert "USD" in batch.body and "Payments:" in batch.body
    assert ("Matched with the acquirer" in batch.body) == batch.report.matched
    ui.tap(batch.ids.print_btn)
    ui.settle()
    assert batch.status == "Printed."
    ui.tap(batch.ids.back_btn)
    ui.screen("sale")
    open_batch(ui)                                   # nothing sold since: refused, not closed again
    assert batch.status == "Nothing to close: no payments or refunds since the last batch close."
    assert batch.ids.close_btn.disabled and not batch.closed
    with pytest.raises(Exception, match="Nothing to close"):
        app.terminal.close_batch(allow_empty=False)


def test_owner_override_while_the_manager_pin_is_locked(ui):
    from terminal.wiring import DEMO_MANAGER_PIN, DEMO_OWNER_PIN

    app = ui.app
    tx = approved_sale(ui, "1300")
    open_in_history(ui, tx.id)
    ui.tap(app.screens["detail"].ids.void_btn)
    ui.screen("pin")
    pin = app.screens["pin"]
    try:
        for _ in range(5):
            enter_pin(ui, "0000")
        ui.settle()
        assert pin.locked and pin.ids.ok_btn.disabled
        ui.tap(pin.ids.override_btn)                 # the owner stands in
        ui.settle()
        assert pin.owner_mode and not pin.locked and pin.prompt == "Enter the owner PIN"
        enter_pin(ui, DEMO_OWNER_PIN)
        ui.screen("detail")
        ui.settle()
        assert app.terminal.get(tx.id).state.value == "CANCELLED"
        assert "Voided" in app.screens["detail"].message
    finally:
        pin_vault(app.terminal).set_pin("manager", DEMO_MANAGER_PIN)   # clears the lock for later tests


def test_technician_area_shows_real_status(ui):
    app = ui.app
    ui.tap(app.screens["sale"].ids.staff_btn)   # the manager/technician row
    ui.frames(1)
    ui.tap(app.screens["sale"].ids.tech_btn)
    ui.screen("pin")
    enter_pin(ui, "4321")
    ui.screen("technician")
    ui.settle()
    body = app.screens["technician"].body
    for expected in ("Terminal software", "Kivy", "Scanner", "virtual READY", "Printer", "Integrity",
                     "T-DEMO-0001", "Recorded faults"):
        assert expected in body, expected
    receipts = slips_file(ui.config)
    before = receipts.read_text() if receipts.exists() else ""
    ui.tap(app.screens["technician"].ids.test_print_btn)     # the same slip as `pos-terminal print-test`
    ui.idle_until(lambda: "test_print" in app.banners.texts(), what="test print banner")
    assert "Test slip printed." in app.banners.texts()["test_print"]
    assert "TEST PRINT" in receipts.read_text()[len(before):]


def test_idle_lock_and_touch_to_continue(ui):
    app = ui.app
    ui.tap(app.screens["sale"].ids.history_btn)
    ui.screen("history")
    assert not app.check_idle(now=app._last_touch + 1)
    assert app.check_idle(now=app._last_touch + app.settings.ui.idle_lock_s + 1)
    ui.screen("lock")
    ui.tap(app.screens["lock"].ids.unlock)
    ui.screen("history")


def test_no_idle_lock_during_a_sale(ui):
    from tests.ui.helpers import start_sale

    app = ui.app
    start_sale(ui, "100")
    assert not app.check_idle(now=app._last_touch + 10_000)
    assert app.current == "scan"


def test_scanner_fault_shows_a_banner_with_the_fix_and_clears(ui):
    app = ui.app
    scanner = app.scanner_link.scanner
    scanner.fail("scanner unplugged: check the USB cable")
    ui.idle_until(lambda: "scanner" in app.banners.texts(), what="banner")
    assert "check its cable" in app.banners.texts()["scanner"]       # the cashier's words, in their language
    scanner.recover()
    ui.idle_until(lambda: "scanner" not in app.banners.texts(), what="banner cleared")


def test_technician_pin_lockout_is_shown(ui):
    """Last in this module: it leaves the technician PIN locked for five minutes."""
    app = ui.app
    ui.tap(app.screens["sale"].ids.staff_btn)   # the manager/technician row
    ui.frames(1)
    ui.tap(app.screens["sale"].ids.tech_btn)
    ui.screen("pin")
    pin = app.screens["pin"]
    for _ in range(4):
        enter_pin(ui, "0000")
    assert pin.feedback == "Wrong PIN: 1 tries left."
    enter_pin(ui, "0000")
    ui.settle()
    assert pin.locked
    assert pin.feedback.startswith("Too many wrong PINs: locked for 4:") or \
        pin.feedback.startswith("Too many wrong PINs: locked for 5:")
    assert pin.ids.ok_btn.disabled and pin.keypad.disabled
    ui.tap(pin.ids.back_btn)
    ui.screen("sale")


def test_the_app_ticks_its_watchdog_heartbeats(ui):
    """The systemd watchdog asks terminal.upkeep.liveness: the running app keeps 'ui loop' (its Clock)
    and 'payment worker' (a probe its worker pool runs) fresh."""
    liveness = ui.app.terminal.upkeep.liveness
    beats = liveness.beats()
    assert set(beats) >= {"ui loop", "payment worker"}
    before = {name: beat.last for name, beat in beats.items()}
    ui.idle_until(lambda: all(beats[n].last > before[n] for n in ("ui loop", "payment worker")),
                  what="heartbeats ticked")
    assert liveness.stale() == []


def test_an_amount_typed_in_the_search_never_matches_a_time_of_day():
    """CI: "7.77" showed a sale of another amount made at hh:mm:17.77…, before the core's answer
    replaced the list (the local filter matched the creation time's fraction of a second)."""
    from dataclasses import replace

    from terminal.records import Transaction
    from terminal.states import TxState
    from ui.screens.history import matches

    other = Transaction(id="T1", payment_request_id="PR1", state=TxState.APPROVED, currency="USD", amount_minor=1250,
                        order_ref="O1", created_at="2026-11-30T02:54:17.771234+00:00")
    assert not matches(other, "7.77")
    assert matches(replace(other, amount_minor=777), "7.77")
    assert matches(other, "2026-11-30") and matches(other, "02:54")
