"""Open payments never vanish: the sale screen's indicator and list follow them live, the result
screen updates when a "Not confirmed" payment ends, and a payment that ended unseen (also while
the app was closed) gets a notice with its receipt. The payments are made the way the checkout
journals them, and moved on through the journal, so the real event path drives the screens."""
from __future__ import annotations

import uuid

import pytest

from terminal.records import Transaction, new_id
from terminal.states import TxState
from tests.support import core_journal

pytestmark = pytest.mark.ui
S = TxState


def open_sale(ui, amount_minor: int = 1875, *, shown_unknown: bool = True) -> Transaction:
    app = ui.app
    journal = core_journal(app.terminal)     # staged the way the checkout and the payment journal it
    tx = Transaction(id=new_id("T"), payment_request_id=f"PR{uuid.uuid4().hex}", state=S.CREATED, currency="USD",
                     amount_minor=amount_minor, order_ref=f"O{uuid.uuid4().hex[:20]}", wallet="ALIPAY_CN",
                     masked_code="281012**********77")
    journal.note(tx.id, "checkout", state="PROCESSING")
    journal.create(tx)
    tx = journal.transition(tx.id, S.SENT, S.UNKNOWN, expect=S.CREATED)
    if shown_unknown:
        journal.note(tx.id, "checkout", state="RESULT", txState="UNKNOWN", error="")
    ui.settle()                  # the app followed those checkout events; the cashier is back at the till
    app.go("sale")
    return tx


def test_indicator_and_list_follow_an_open_payment_until_its_notice_and_receipt(ui):
    app = ui.app
    sale = app.screens["sale"]
    tx = open_sale(ui)
    app.watch.refresh()
    ui.settle()
    assert app.open_count == 1 and sale.ids.open_btn.text == "Open payments: 1"
    ui.tap(sale.ids.open_btn)
    ui.screen("open")
    ui.settle()
    screen = app.screens["open"]
    rows = screen.ids.rv.data
    assert len(rows) == 1 and "$18.75" in rows[0]["text"] and "checking with the acquirer" in rows[0]["text"]

    core_journal(app.terminal).transition(tx.id, S.INQUIRING, S.APPROVED, expect=S.UNKNOWN)     # resolved in the background
    ui.idle_until(lambda: not screen.ids.rv.data, what="the list emptied live")
    ui.settle()
    assert app.open_count == 0 and "No open payments" in screen.summary
    key = f"ended-{tx.id}"
    assert "Earlier payment $18.75" in app.banners.texts()[key] and "Approved" in app.banners.texts()[key]

    app.set_language("fr_CA")                    # the notice follows a language switch
    ui.frames(2)
    assert "Approuvé" in app.banners.texts()[key]
    app.set_language("en")
    ui.frames(2)

    banner = app.banners._by_key[key]
    ui.tap(banner.ids.action_btn)                # Receipt
    ui.screen("receipt")
    ui.settle()
    assert tx.masked_code in app.screens["receipt"].preview
    ui.tap(app.screens["receipt"].ids.done_btn)
    ui.screen("open")                            # back where the cashier was
    assert key not in app.banners.texts()
    assert tx.id not in [t.id for t in app.terminal.notices.unseen()]   # journalled as seen


def test_the_result_screen_updates_live_when_a_not_confirmed_payment_ends(ui):
    app = ui.app
    tx = open_sale(ui, 990)
    app.go("result", tx=tx)
    result = app.screens["result"]
    assert result.kind == "unknown"
    core_journal(app.terminal).transition(tx.id, S.INQUIRING, S.CANCEL_PENDING, S.CANCELLED, expect=S.UNKNOWN)
    ui.idle_until(lambda: result.kind != "unknown", what="the result screen updated")
    ui.settle()
    assert result.kind == "declined" and result.headline == "Not charged"
    assert f"ended-{tx.id}" not in app.banners.texts()                  # shown here, so no notice
    assert tx.id not in [t.id for t in app.terminal.notices.unseen()]


def test_after_a_restart_a_payment_that_ended_unseen_gets_its_notice_and_the_stale_banner_goes(ui):
    app = ui.app
    tx = open_sale(ui, 4200, shown_unknown=False)      # the app closed while it was processing
    core_journal(app.terminal).transition(tx.id, S.INQUIRING, S.APPROVED, expect=S.UNKNOWN)
    app.banners.show("recovery", "Earlier payments are still unresolved", "warning")
    app.worker.run(app._startup_checks, on_done=app._show_startup_checks)   # what every start runs
    ui.settle()
    ui.idle_until(lambda: f"ended-{tx.id}" in app.banners.texts(), what="notice after restart")
    assert "recovery" not in app.banners.texts()
    app.banners._by_key[f"ended-{tx.id}"].dismiss()
    ui.settle()
    assert tx.id not in [t.id for t in app.terminal.notices.unseen()]
    app.watch.refresh()
    ui.settle()
    assert f"ended-{tx.id}" not in app.banners.texts()      # seen: never raised again
    assert tx.id not in app.watch._noticed                   # white-box: only unseen outcomes are remembered


def test_the_sale_just_charged_is_never_noticed_as_an_earlier_payment(ui, monkeypatch):
    """The sale's transaction turns final in the journal a moment before the checkout journals
    its RESULT; a watch read in that moment took the sale on screen for one that ended unseen,
    and a cashier who had just seen "Approved" got "Earlier payment $1.25 ...: Approved" too
    (under load, often: 1,000 sales through bench/ui_memory.py piled the banners up until they
    covered the keypad). The read is forced into that moment here."""
    import threading

    from kivy.clock import Clock

    from tests.ui.helpers import sell

    app, terminal = ui.app, ui.app.terminal
    real_sale, real_unseen = terminal.sale, terminal.notices.unseen
    read = threading.Event()

    def unseen():
        outcomes = real_unseen()
        read.set()
        return outcomes

    def sale_then_a_watch_read(*args, **kwargs):
        tx = real_sale(*args, **kwargs)          # final and journalled; the checkout's RESULT not yet
        read.clear()
        Clock.schedule_once(lambda _dt: app.watch.refresh())
        assert read.wait(10), "the watch did not read"
        return tx

    monkeypatch.setattr(terminal, "sale", sale_then_a_watch_read)
    monkeypatch.setattr(terminal.notices, "unseen", unseen)
    result = sell(ui, "125", "0000")
    assert result.kind == "approved"
    app.watch.refresh()
    ui.settle()
    assert not [key for key in app.banners.texts() if key.startswith("ended-")], app.banners.texts()
