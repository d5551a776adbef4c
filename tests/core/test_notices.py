"""Open payments and outcomes nobody has seen: journalled, so a payment that ended while the app
was closed (or during the recovery at the next start) still gets its notice."""
from __future__ import annotations

from terminal.journal import Journal
from terminal.notices import OutcomeNotices
from terminal.states import TxState

from .journal_helpers import make_tx

S = TxState


def checkout_sale(journal, *, result_state: str | None = None):
    """A sale as the checkout makes it: PROCESSING noted, the payment journalled and sent."""
    tx = make_tx()
    journal.note(tx.id, "checkout", state="AWAITING_SCAN")
    journal.note(tx.id, "checkout", state="PROCESSING")
    tx = journal.create(tx)
    journal.transition(tx.id, S.SENT, S.UNKNOWN, expect=S.CREATED)
    if result_state is not None:
        journal.note(tx.id, "checkout", state="RESULT", txState=result_state, error="")
    return tx


def test_a_sale_left_unknown_is_open_then_an_unseen_outcome_when_it_ends(journal):
    notices = OutcomeNotices(journal=journal)
    tx = checkout_sale(journal, result_state="UNKNOWN")       # the cashier saw "Not confirmed"
    assert [t.id for t in notices.open_payments()] == [tx.id]
    assert notices.unseen() == []                             # not final: an open payment, not a notice
    journal.transition(tx.id, S.INQUIRING, S.APPROVED, expect=S.UNKNOWN)
    assert notices.open_payments() == []
    assert [t.id for t in notices.unseen()] == [tx.id]
    notices.mark_seen(tx.id)
    assert notices.unseen() == []


def test_a_sale_that_ended_while_the_app_closed_is_unseen_after_reopening(tmp_path):
    path = tmp_path / "state" / "journal.db"
    journal = Journal(path)
    tx = checkout_sale(journal)                               # closed before any RESULT was shown
    journal.transition(tx.id, S.INQUIRING, S.APPROVED, expect=S.UNKNOWN)
    journal.close()
    reopened = Journal(path)
    try:
        assert [t.id for t in OutcomeNotices(journal=reopened).unseen()] == [tx.id]
    finally:
        reopened.close()


def test_results_the_checkout_showed_and_sales_outside_the_checkout_are_not_notices(journal):
    notices = OutcomeNotices(journal=journal)
    shown = checkout_sale(journal)
    journal.transition(shown.id, S.INQUIRING, S.APPROVED, expect=S.UNKNOWN)
    journal.note(shown.id, "checkout", state="RESULT", txState="APPROVED", error="")
    cli = journal.create(make_tx())                           # a CLI sale: its result was printed
    journal.transition(cli.id, S.SENT, S.DECLINED, expect=S.CREATED)
    assert notices.unseen() == []
