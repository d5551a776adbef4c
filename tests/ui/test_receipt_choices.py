"""After a sale the customer chooses print, email or none; the email goes through a real local
SMTP server (aiosmtpd). A refund carries the reason the cashier picked to the acquirer."""
from __future__ import annotations

import pytest

from tests.core.test_email_receipts import Inbox, free_port
from tests.support import embedded_sandbox, slips_file
from tests.ui.helpers import sell
from tests.ui.test_manager_flows import enter_pin, open_in_history

pytestmark = pytest.mark.ui
controller = pytest.importorskip("aiosmtpd.controller")


@pytest.fixture
def mail(ui):
    from terminal.email_receipts import ReceiptMailer

    inbox = Inbox()
    ctl = controller.Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    desk = ui.app.terminal.receipts
    settings = ui.config.email.model_copy(update={"host": "127.0.0.1", "port": ctl.port, "starttls": False,
                                                  "from_address": "till@shop.example"})
    saved, desk._mailer = desk._mailer, ReceiptMailer(settings, state_dir=ui.config.state_dir())   # white-box
    yield inbox
    desk._mailer = saved
    ctl.stop()


def test_customer_gets_the_slip_by_email_and_a_bad_address_is_said_plainly(ui, mail):
    app = ui.app
    result = sell(ui, "1250", "0000")
    tx = result.tx
    ui.tap(result.ids.receipt_btn)
    ui.screen("receipt")
    ui.settle()
    receipt = app.screens["receipt"]
    assert receipt.email_on
    assert receipt.preview == app.terminal.receipts.text(tx, "en_US")     # the slip itself
    assert receipt.ids.done_btn.text == "No receipt"
    receipt.ids.email_input.text = "not-an-address"
    ui.frames(2)
    ui.tap(receipt.ids.email_btn)
    ui.idle_until(lambda: not receipt.sending, what="address checked")
    assert receipt.status == "Not an email address: check it with the customer." and mail.mails == []
    receipt.ids.email_input.text = "ann@example.org"
    ui.frames(2)
    ui.tap(receipt.ids.email_btn)
    ui.idle_until(lambda: receipt.emailed, what="receipt emailed")
    assert receipt.status == "Receipt emailed." and receipt.ids.done_btn.text == "Done"
    (rcpt, message), = mail.mails
    assert rcpt == ["ann@example.org"] and tx.masked_code in message.get_body(("plain",)).get_content()
    ui.tap(receipt.ids.done_btn)
    ui.screen("sale")


def test_email_is_hidden_when_not_set_up(ui):
    result = sell(ui, "300", "0000")
    ui.tap(result.ids.receipt_btn)
    ui.screen("receipt")
    receipt = ui.app.screens["receipt"]
    assert not receipt.email_on and receipt.ids.email_btn.disabled
    ui.tap(receipt.ids.done_btn)
    ui.screen("sale")


def test_refund_sends_the_chosen_reason_to_the_acquirer(ui):
    app = ui.app
    result = sell(ui, "1500", "0000")
    tx = result.tx
    ui.tap(result.ids.new_sale_btn)
    ui.screen("sale")
    ui.settle()
    open_in_history(ui, tx.id)
    ui.tap(app.screens["detail"].ids.refund_btn)
    ui.screen("refund")
    refund = app.screens["refund"]
    assert refund.reason == "returned" and refund.valid
    ui.tap(refund.ids.reason_other)
    assert not refund.valid                          # "Other" needs a reason typed
    refund.ids.other_reason.text = "Coffee  spilt by staff"
    ui.frames(2)
    assert refund.valid
    ui.tap(refund.ids.continue_btn)
    ui.screen("pin")
    enter_pin(ui, "1234")
    ui.screen("detail")
    ui.settle()
    done = app.terminal.get(tx.id)
    (r,) = done.refunds
    row = embedded_sandbox(app.terminal).ctx.store.one("SELECT reason FROM refunds WHERE refund_request_id = ?",
                                              r.refund_request_id)
    assert row["reason"] == "Coffee spilt by staff"
    assert (r.reason_code, r.reason_text) == ("other", "Coffee spilt by staff")     # journalled with it


def test_history_searches_by_amount_last_digits_and_day_with_state_chips_and_totals(ui):
    from datetime import date

    app = ui.app
    result = sell(ui, "4321", "0000")
    tx = result.tx
    ui.tap(result.ids.new_sale_btn)
    ui.screen("sale")
    ui.settle()
    ui.tap(app.screens["sale"].ids.history_btn)
    ui.screen("history")
    ui.settle()
    history = app.screens["history"]
    today = date.today().isoformat()
    history.ids.search.text = f"43.21 *00 {today}"
    ui.idle_until(lambda: [t.id for t in history.transactions] == [tx.id], what="searched")
    ui.settle()
    assert [row["tx_id"] for row in history.ids.rv.data] == [tx.id]
    assert "charged $43.21, refunded $0.00" in history.summary
    ui.tap(history.ids.filter_declined)
    ui.idle_until(lambda: history.transactions == [], what="declined only")
    ui.settle()
    assert history.ids.rv.data == [] and history.summary.startswith("0 of 0")
    ui.tap(history.ids.filter_approved)
    ui.idle_until(lambda: [t.id for t in history.transactions] == [tx.id], what="approved again")
    history.ids.search.text = "2026-13-45"
    ui.settle()
    assert "not a date" in history.summary
    ui.tap(history.ids.back_btn)
    ui.screen("sale")


def test_main_bar_keeps_manager_and_technician_actions_apart_behind_a_pin(ui):
    sale = ui.app.screens["sale"]
    bar = sale.ids.history_btn.parent
    assert sale.ids.batch_btn.parent is not bar and sale.ids.tech_btn.parent is not bar
    assert sale.ids.batch_btn.disabled and sale.ids.tech_btn.disabled and sale.ids.staff_row.height == 0
    ui.tap(sale.ids.staff_btn)
    ui.frames(1)
    assert not sale.ids.batch_btn.disabled and sale.ids.staff_row.height > 0
    ui.tap(sale.ids.batch_btn)
    ui.screen("pin")
    assert ui.app.screens["pin"].role == "manager"
    ui.tap(ui.app.screens["pin"].ids.back_btn)
    ui.screen("sale")
    ui.frames(1)
    assert not sale.staff_open               # back on the till, the staff row is closed again


@pytest.mark.parametrize("lang", ["fr_CA", "zh_Hans"])
def test_receipt_email_row_and_refund_reasons_fit_in_every_language(ui, mail, lang):
    from tests.ui.test_overflow import overflowing

    app = ui.app
    tx = sell(ui, "700", "0000").tx
    app.set_language(lang)
    try:
        app.go("receipt", tx=tx)
        ui.screen("receipt")
        ui.settle()
        found = [(w.text[:30], w.texture_size, w.size) for w in overflowing(app.sm.current_screen)]
        receipt = app.screens["receipt"]
        receipt.email_failed = True                    # Try again / Print instead, and the longest status
        receipt.status = receipt.t("Email is not working on this terminal: print the receipt, and tell a technician.")
        ui.frames(2)
        found += [(w.text[:30], w.texture_size, w.size) for w in overflowing(app.sm.current_screen)]
        assert receipt.ids.email_btn.text != "Try again" and receipt.ids.print_btn.text != "Print instead"
        app.go("refund", tx=tx, remaining=tx.amount)
        ui.screen("refund")
        app.screens["refund"].choose_reason("other")
        ui.settle()
        found += [(w.text[:30], w.texture_size, w.size) for w in overflowing(app.sm.current_screen)]
        assert not found, found
    finally:
        app.set_language("en")
        app.go("sale", clear=True)
        ui.screen("sale")


def _mailer_on(terminal, port: int, **email):
    from terminal.email_receipts import ReceiptMailer

    settings = terminal.upkeep.configuration().email.model_copy(update={
        "host": "127.0.0.1", "port": port, "starttls": False, "from_address": "till@shop.example", **email})
    terminal.receipts._mailer = ReceiptMailer(settings, state_dir=terminal.settings.state_dir)   # white-box


def _receipt_of_a_sale(ui, amount: str):
    result = sell(ui, amount, "0000")
    ui.tap(result.ids.receipt_btn)
    ui.screen("receipt")
    ui.settle()
    return ui.app.screens["receipt"], result.tx


def test_a_failed_email_offers_try_again_and_print_instead(ui, mail):
    """The mail server is down: the screen says so and offers both ways out; Try again sends
    once the server is back, Print instead prints (nothing is queued for later)."""
    app = ui.app
    working = app.terminal.receipts._mailer
    _mailer_on(app.terminal, free_port())                      # nobody listens there
    receipt, tx = _receipt_of_a_sale(ui, "1825")
    assert (receipt.ids.email_btn.text, receipt.ids.print_btn.text) == ("Email", "Print receipt")
    receipt.ids.email_input.text = "ann@example.org"
    ui.frames(2)
    ui.tap(receipt.ids.email_btn)
    ui.idle_until(lambda: receipt.email_failed, what="email failed")
    assert receipt.status == "Receipt not emailed: try again, or print it."
    assert receipt.ids.email_btn.text == "Try again" and not receipt.ids.email_btn.disabled
    assert receipt.ids.print_btn.text == "Print instead" and not receipt.ids.print_btn.disabled
    app.terminal.receipts._mailer = working                              # the mail server is back
    ui.tap(receipt.ids.email_btn)
    ui.idle_until(lambda: receipt.emailed, what="emailed on the second try")
    assert receipt.status == "Receipt emailed." and [r for r, _ in mail.mails] == [["ann@example.org"]]
    ui.tap(receipt.ids.print_btn)                              # and a paper copy as well
    ui.idle_until(lambda: receipt.printed, what="printed")
    ui.tap(receipt.ids.done_btn)
    ui.screen("sale")


def test_email_that_cannot_work_offers_print_only(ui, mail):
    """STARTTLS required by the terminal, not offered by the server (a technician's problem):
    Try again stays disabled, Print instead prints."""
    app = ui.app
    plain = app.terminal.receipts._mailer.settings.port                  # the fixture's server has no STARTTLS
    _mailer_on(app.terminal, plain, starttls=True)
    receipt, tx = _receipt_of_a_sale(ui, "1950")
    receipt.ids.email_input.text = "ann@example.org"
    ui.frames(2)
    ui.tap(receipt.ids.email_btn)
    ui.idle_until(lambda: receipt.email_failed, what="email failed")
    assert receipt.status == "Email is not working on this terminal: print the receipt, and tell a technician."
    assert receipt.ids.email_btn.text == "Try again" and receipt.ids.email_btn.disabled
    assert mail.mails == []
    ui.tap(receipt.ids.print_btn)
    ui.idle_until(lambda: receipt.printed, what="printed instead")
    assert receipt.status == "Printed."
    ui.tap(receipt.ids.done_btn)
    ui.screen("sale")


def test_a_failure_after_the_cashier_moved_on_is_a_banner_with_print(ui):
    """The server holds the mail, the cashier finishes the sale, then the server refuses it
    (451): a banner on the till names the amount and prints the receipt from its button."""
    import asyncio
    import threading

    app = ui.app
    release = threading.Event()

    class Slow:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 60)
            return "451 4.3.0 try again later"

    ctl = controller.Controller(Slow(), hostname="127.0.0.1", port=free_port())
    ctl.start()
    saved = app.terminal.receipts._mailer
    try:
        _mailer_on(app.terminal, ctl.port)
        receipt, tx = _receipt_of_a_sale(ui, "2075")
        receipt.ids.email_input.text = "ann@example.org"
        ui.frames(2)
        ui.tap(receipt.ids.email_btn)
        ui.tap(receipt.ids.done_btn)                           # moved on while the mail is held
        ui.screen("sale")
        release.set()
        ui.idle_until(lambda: "email" in app.banners.texts(), what="email banner")
        assert app.banners.texts()["email"] == "The receipt for $20.75 was not emailed."
        slips = slips_file(ui.config)     # the demo's file printer
        assert tx.id not in (slips.read_text(encoding="utf-8") if slips.exists() else "")
        ui.tap(app.banners._by_key["email"].ids.action_btn)
        ui.settle()
        assert "email" not in app.banners.texts()
        assert tx.id in slips.read_text(encoding="utf-8")             # printed from the banner
    finally:
        release.set()
        app.terminal.receipts._mailer = saved
        ctl.stop()
