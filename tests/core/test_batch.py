"""Batch reconciliation: totals from the journal and the differences named one by one."""
from __future__ import annotations

import pytest

from terminal.batch import _differences, batch_totals
from terminal.journal import Journal
from terminal.money import Money
from terminal.records import REFUND_FAIL, REFUND_SUCCESS
from terminal.states import TxState

from .journal_helpers import make_refund, make_tx

S = TxState


def _totals(currency="USD", pc="2", pa="3000", rc="0", ra="0"):
    return {"currency": currency, "paymentCount": pc, "paymentAmount": pa, "refundCount": rc, "refundAmount": ra}


PAYMENTS = {"PR1": Money("USD", 1000), "PR2": Money("USD", 2000)}


def _acq(ref, value, currency="USD", key="paymentRequestId", amount_key="amount"):
    return {key: ref, amount_key: {"currency": currency, "value": value}}


def test_no_differences_when_lists_agree():
    diffs = _differences([_totals()], [_totals()], PAYMENTS, {}, [_acq("PR1", "1000"), _acq("PR2", "2000")])
    assert diffs == []


def test_only_on_terminal():
    diffs = _differences([_totals()], [_totals(pc="1", pa="1000")], PAYMENTS, {}, [_acq("PR1", "1000")])
    assert [(d.kind, d.reference, d.terminal) for d in diffs] == [("ONLY_ON_TERMINAL", "PR2", "2000 USD")]


def test_only_at_acquirer():
    diffs = _differences([_totals()], [_totals(pc="3")], PAYMENTS, {},
                         [_acq("PR1", "1000"), _acq("PR2", "2000"), _acq("PR9", "500", amount_key="paymentAmount")])
    assert [(d.kind, d.reference, d.acquirer) for d in diffs] == [("ONLY_AT_ACQUIRER", "PR9", "500 USD")]


def test_amount_differs_and_currency_differs():
    diffs = _differences([_totals()], [_totals()], PAYMENTS, {},
                         [_acq("PR1", "1001"), _acq("PR2", "2000", currency="CAD")])
    assert [(d.kind, d.reference, d.terminal, d.acquirer) for d in diffs] == [
        ("AMOUNT_DIFFERS", "PR1", "1000 USD", "1001 USD"),
        ("AMOUNT_DIFFERS", "PR2", "2000 USD", "2000 CAD"),
    ]


def test_refunds_are_matched_by_refund_request_id():
    refunds = {"RR1": Money("USD", 300)}
    theirs = [_acq("PR1", "1000"), _acq("PR2", "2000"), _acq("RR1", "250", key="refundRequestId",
                                                              amount_key="refundAmount")]
    diffs = _differences([], [], PAYMENTS, refunds, theirs)
    assert [(d.kind, d.reference) for d in diffs] == [("AMOUNT_DIFFERS", "RR1")]


def test_all_three_kinds_named_together():
    diffs = _differences([_totals()], [_totals()], PAYMENTS, {},
                         [_acq("PR1", "999"), _acq("PR7", "10")])
    assert sorted((d.kind, d.reference) for d in diffs) == [
        ("AMOUNT_DIFFERS", "PR1"), ("ONLY_AT_ACQUIRER", "PR7"), ("ONLY_ON_TERMINAL", "PR2")]
    assert all(set(d.to_api()) == {"kind", "reference", "terminal", "acquirer"} for d in diffs)


def test_totals_differ_when_no_transaction_differs():
    diffs = _differences([_totals()], [_totals(pa="3001")], PAYMENTS, {}, [_acq("PR1", "1000"), _acq("PR2", "2000")])
    assert [(d.kind, d.reference) for d in diffs] == [("TOTALS_DIFFER", "USD")]


@pytest.mark.parametrize("junk", [None, "x", [None, 1, "x", {}], [{"amount": {"value": "1"}}]])
def test_junk_acquirer_list_is_tolerated(junk):
    diffs = _differences([_totals()], [_totals()], PAYMENTS, {}, junk)
    assert sorted(d.reference for d in diffs) == ["PR1", "PR2"]
    assert {d.kind for d in diffs} == {"ONLY_ON_TERMINAL"}


def test_batch_totals_from_the_journal(tmp_path):
    journal = Journal(tmp_path / "j.db")
    try:
        batch = journal.open_batch()["id"]

        def approved(amount, currency="USD"):
            tx = journal.create(make_tx(amount, currency))
            return journal.transition(tx.id, S.SENT, S.APPROVED, expect=S.CREATED)

        a = approved(1000)
        b = approved(2500)
        c = approved(700, "CAD")
        declined = journal.create(make_tx(999))
        journal.transition(declined.id, S.SENT, S.DECLINED, expect=S.CREATED)
        voided = approved(4000)
        journal.transition(voided.id, S.CANCEL_PENDING, S.CANCELLED, expect=S.APPROVED)
        journal.create(make_tx(123))  # still pending: not in the batch
        r = journal.create_refund(make_refund(a, 400))
        journal.finish_refund(r.id, REFUND_SUCCESS, tx_state=S.PARTIALLY_REFUNDED)
        failed = journal.create_refund(make_refund(b, 100))
        journal.finish_refund(failed.id, REFUND_FAIL)
        totals, payments, refunds = batch_totals(journal, batch)
        assert totals == [
            {"currency": "CAD", "paymentCount": "1", "paymentAmount": "700", "refundCount": "0", "refundAmount": "0"},
            {"currency": "USD", "paymentCount": "2", "paymentAmount": "3500", "refundCount": "1", "refundAmount": "400"},
        ]
        assert payments == {a.payment_request_id: Money("USD", 1000), b.payment_request_id: Money("USD", 2500),
                            c.payment_request_id: Money("CAD", 700)}
        assert refunds == {r.refund_request_id: Money("USD", 400)}
        assert all(isinstance(v, str) for t in totals for v in t.values())
    finally:
        journal.close()
