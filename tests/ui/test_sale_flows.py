"""Whole sale flows through touches, against the embedded sandbox."""
from __future__ import annotations

import pytest

from tests.support import slips_file
from tests.ui.helpers import present, sell, start_sale

pytestmark = pytest.mark.ui


def test_approved_sale_then_receipt_print_and_reprint(ui):
    app = ui.app
    result = sell(ui, "1250", "0000")
    assert result.kind == "approved" and result.headline == "Approved"
    assert result.amount_text == "$12.50"
    assert result.tx.state.value == "APPROVED"
    ui.tap(result.ids.receipt_btn)
    ui.screen("receipt")
    ui.settle()
    receipt = app.screens["receipt"]
    assert result.tx.masked_code in receipt.preview and "APPROVED" in receipt.preview
    ui.tap(receipt.ids.print_btn)
    ui.settle()
    assert receipt.printed and receipt.prints == 1
    ui.tap(receipt.ids.reprint_btn)
    ui.settle()
    assert receipt.prints == 2
    slips = slips_file(ui.config).read_text(encoding="utf-8")
    assert result.tx.masked_code in slips and "COPY" in slips
    ui.tap(receipt.ids.done_btn)
    ui.screen("sale")
    ui.settle()
    assert app.checkout.state.value == "IDLE"
    assert app.screens["sale"].digits == ""


def test_declined_sale_shows_the_reason_the_cashier_can_act_on(ui):
    result = sell(ui, "800", "0051")
    assert result.kind == "declined" and result.headline == "Declined"
    assert "insufficient balance" in result.reason_text
    assert "Ask for another payment method" in result.reason_text
    assert result.colour[0] > result.colour[1]     # red
    ui.tap(result.ids.new_sale_btn)
    ui.screen("sale")


def test_unknown_then_approved_shows_checking_with_the_acquirer_never_early_result(ui):
    """Every status the processing screen was given, in order (a binding, not a per-frame sample:
    when the first inquiry answers at once, "checking" and the result land within one frame and
    sampling missed it about half the time)."""
    app = ui.app
    processing = app.screens["processing"]
    statuses: list[str] = []
    kinds_while_processing: list[str] = []

    def on_status(_screen, text):
        statuses.append(text)
        kinds_while_processing.append(app.current)
    processing.bind(status_text=on_status)
    try:
        result = sell(ui, "2375", "0091")
    finally:
        processing.unbind(status_text=on_status)
    assert any(s.startswith("Checking with the acquirer") for s in statuses), statuses
    assert set(kinds_while_processing) <= {"processing", "scan"}      # never after a result was shown
    assert result.kind == "approved"
    assert result.tx.state.value == "APPROVED"


def test_cancel_while_scanning_returns_to_sale_and_charges_nothing(ui):
    app = ui.app
    before = len(app.terminal.transactions())
    start_sale(ui, "999")
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    ui.settle()
    assert app.checkout.state.value == "IDLE"
    assert app.screens["sale"].digits == "999"       # kept for another try
    assert len(app.terminal.transactions()) == before


def test_slow_acquirer_does_not_freeze_frames(ui):
    app = ui.app
    processing = app.screens["processing"]
    frames_while_processing: list[int] = []

    def watch():
        if app.current == "processing":
            frames_while_processing.append(processing.frames)
    result = sell(ui, "420", "0098", watch=watch)
    assert result.kind == "approved"
    # The sandbox holds the answer for seconds; the UI thread kept drawing meanwhile.
    assert frames_while_processing and max(frames_while_processing) >= 10


def test_scan_of_a_code_after_cancel_is_ignored(ui):
    app = ui.app
    start_sale(ui, "100")
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    app.worker.run(app.scanner_link.present, "281012345678900000")
    ui.settle()
    ui.frames(5)
    assert app.current == "sale" and app.checkout.state.value == "IDLE"


def test_tip_preset_adds_to_the_total(ui):
    app = ui.app
    sale = app.screens["sale"]
    from tests.ui.helpers import type_amount

    type_amount(ui, "1000")
    ui.tap(sale.tip_buttons["15"])
    assert "Total $11.50" in sale.tip_line
    ui.tap(sale.ids.charge_btn)
    ui.screen("scan")
    ui.settle()
    assert app.screens["scan"].total_text == "$11.50"
    present(ui, "0000")
    ui.screen("result")
    ui.settle()
    assert app.screens["result"].tx.tip_minor == 150


def test_keypad_backspace_and_clear(ui):
    app = ui.app
    sale = app.screens["sale"]
    from tests.ui.helpers import type_amount

    type_amount(ui, "1234")
    assert "12.34" in sale.ids.charge_btn.text
    sale.keypad.press("back")
    assert "1.23" in sale.ids.charge_btn.text
    sale.keypad.press("C")
    assert sale.can_charge is False
    type_amount(ui, "50")
    assert "0.50" in sale.ids.charge_btn.text


def test_after_a_decline_try_again_charges_the_same_amount_and_tip_in_one_tap(ui):
    app = ui.app
    from tests.ui.helpers import type_amount

    type_amount(ui, "1000")
    ui.tap(app.screens["sale"].tip_buttons["15"])
    ui.tap(app.screens["sale"].ids.charge_btn)
    ui.screen("scan")
    ui.idle_until(lambda: app.screens["scan"].ready, what="awaiting scan")
    ui.settle()
    present(ui, "0051")                                   # declined: insufficient balance
    ui.screen("result")
    ui.settle()
    result = app.screens["result"]
    assert result.kind == "declined"
    ui.tap(result.ids.retry_btn)
    ui.screen("scan")
    ui.idle_until(lambda: app.screens["scan"].ready, what="awaiting the retry's scan")
    ui.settle()
    assert app.screens["scan"].total_text == "$11.50"
    present(ui, "0000")
    ui.screen("result")
    ui.settle()
    assert result.kind == "approved" and result.tx.amount_minor == 1150 and result.tx.tip_minor == 150


def test_try_again_is_not_offered_when_the_result_is_not_confirmed(ui):
    app = ui.app
    result = app.screens["result"]
    app.go("result", tx=None, error=None)
    ui.frames(2)
    assert result.kind == "unknown" and result.retry_button.parent is None     # not even shown
    result.new_sale()


def test_custom_tip_is_typed_in_its_own_field_and_a_tip_over_the_cap_is_refused(ui):
    app = ui.app
    sale = app.screens["sale"]
    from tests.ui.helpers import type_amount

    type_amount(ui, "100")                                # $1.00
    ui.tap(sale.tip_buttons["custom"])
    assert sale.editing == "tip" and sale.tip_line.startswith("Keypad types the tip")
    type_amount(ui, "5000")                               # a $50 tip on $1
    assert sale.amount_text == "$1.00" and "$50.00" in sale.tip_line
    assert sale.warning == "The tip is more than 50 % of the amount: lower it."
    assert sale.ids.charge_btn.disabled and sale.ids.message.height > 0
    for _ in range(4):
        sale.keypad.press("back")
    type_amount(ui, "25")                                 # $0.25
    assert sale.warning == "" and not sale.ids.charge_btn.disabled
    ui.tap(sale.ids.amount_box)                           # back to the amount, the tip kept
    assert sale.editing == "amount" and sale.tip_line == "Tip $0.25 · Total $1.25"


def test_scanner_off_shows_on_the_sale_screen_and_the_code_can_be_typed_masked(ui):
    from terminal.demo_codes import code_for

    app = ui.app
    sale = app.screens["sale"]
    scanner = app.scanner_link.scanner
    scanner.fail("scanner unplugged: check the USB cable")
    ui.idle_until(lambda: "Scanner off" in sale.ids.scanner_status.text, what="scanner status")
    start_sale(ui, "880")
    scan = app.screens["scan"]
    ui.tap(scan.ids.manual_btn)
    ui.frames(2)
    code = code_for("0000")
    for digit in code:
        scan.ids.manual_keypad.press(digit)
    assert scan.manual_text.endswith(code[-4:]) and code[:-4] not in scan.manual_text   # masked
    ui.tap(scan.ids.manual_ok_btn)
    ui.screen("result")
    ui.settle()
    result = app.screens["result"]
    assert result.kind == "approved" and result.tx.amount_minor == 880
    assert code not in scan.manual_text and scan._digits == ""
    scanner.recover()
    ui.idle_until(lambda: "Scanner off" not in sale.ids.scanner_status.text, what="scanner back")
