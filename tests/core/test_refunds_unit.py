"""RefundService against a fake acquirer transport: amounts, the same refundRequestId on
every resend, and inquiryRefund before a resend (acquirer-api.md refunds)."""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.errors import BusinessError, InputError, UnknownResultError
from terminal.money import Money
from terminal.refunds import RefundService
from terminal.states import TxState
from tests.core.fake_acquirer import fail, ok, unknown
from tests.core.journal_helpers import approved_tx

S = TxState


@pytest.fixture
def refunds(journal, acquirer):
    return RefundService(journal=journal, client=acquirer, retry_base_s=0.01, retry_cap_s=0.01,
                         wait=lambda _s: False)


@pytest.fixture
def approved(journal):
    return approved_tx(journal, 1000)


def test_partial_then_the_rest(refunds, acquirer, approved, journal):
    acquirer.answer(api.REFUND, ok(refundId="RF-1"), ok(refundId="RF-2"))
    refunds.refund(approved.id, Money("USD", 400))
    assert journal.get(approved.id).state == S.PARTIALLY_REFUNDED
    refunds.refund(approved.id)                                   # all that is left: 6.00
    tx = journal.get(approved.id)
    assert tx.state == S.REFUNDED and tx.refunded() == Money("USD", 1000)
    assert [s.body["refundAmount"]["value"] for s in acquirer.sent] == ["400", "600"]


def test_more_than_is_left_is_refused_before_anything_is_sent(refunds, acquirer, approved):
    with pytest.raises(InputError) as info:
        refunds.refund(approved.id, Money("USD", 1001))
    assert info.value.code == "REFUND_AMOUNT_EXCEED" and acquirer.sent == []


def test_an_unknown_answer_is_asked_about_before_resending_with_the_same_id(refunds, acquirer, approved, journal):
    acquirer.answer(api.REFUND, unknown())
    acquirer.answer(api.INQUIRY_REFUND, ok(refundStatus="SUCCESS", refundId="RF-9"))
    refund = refunds.refund(approved.id, Money("USD", 1000), deadline_s=5)
    assert refund.state == "SUCCESS"
    assert acquirer.paths() == [api.REFUND, api.INQUIRY_REFUND]   # landed the first time: not sent again
    assert journal.get(approved.id).state == S.REFUNDED


def test_resends_keep_the_refund_request_id(refunds, acquirer, approved):
    acquirer.answer(api.REFUND, unknown(), ok(refundId="RF-3"))
    acquirer.answer(api.INQUIRY_REFUND, fail("ORDER_NOT_EXIST"))   # never arrived: resend
    refunds.refund(approved.id, Money("USD", 300), deadline_s=5)
    ids = {s.body["refundRequestId"] for s in acquirer.sent}
    assert len(ids) == 1 and acquirer.paths() == [api.REFUND, api.INQUIRY_REFUND, api.REFUND]


def test_a_refusal_is_final_and_says_why(refunds, acquirer, approved, journal):
    acquirer.answer(api.REFUND, fail("REFUND_WINDOW_EXCEED"))
    with pytest.raises(BusinessError) as info:
        refunds.refund(approved.id, Money("USD", 100))
    assert info.value.code == "REFUND_WINDOW_EXCEED"
    tx = journal.get(approved.id)
    assert tx.state == S.APPROVED and tx.refunds[0].state == "FAIL"


def test_still_unconfirmed_at_the_deadline_stays_pending(refunds, acquirer, approved, journal):
    acquirer.answer(api.REFUND, unknown())
    acquirer.answer(api.INQUIRY_REFUND, unknown())
    with pytest.raises(UnknownResultError):
        refunds.refund(approved.id, Money("USD", 100), deadline_s=0.001)
    assert [r.tx_id for r in journal.pending_refunds()] == [approved.id]
