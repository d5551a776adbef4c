"""Resolver against a fake acquirer transport: inquiry answers, the cancel queue, a refused
cancel (acquirer-api.md §5)."""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.states import TxState
from tests.core.fake_acquirer import fail, ok, unknown
from tests.core.journal_helpers import approved_tx, unknown_tx

S = TxState


@pytest.fixture
def sent(journal):
    return unknown_tx(journal, 1250)


def test_inquiry_success_with_the_journalled_amount_approves(resolver, acquirer, sent):
    acquirer.answer(api.INQUIRY, ok(paymentStatus="SUCCESS", paymentId="P-9",
                                    paymentAmount={"currency": "USD", "value": "1250"}))
    tx = resolver.inquire(sent)
    assert tx.state == S.APPROVED and tx.payment_id == "P-9"


def test_inquiry_success_for_another_amount_is_never_trusted(resolver, acquirer, sent):
    acquirer.answer(api.INQUIRY, ok(paymentStatus="SUCCESS", paymentAmount={"currency": "USD", "value": "9999"}))
    acquirer.answer(api.CANCEL, ok())
    tx = resolver.inquire(sent)
    assert tx.state == S.CANCEL_PENDING                 # the window ran out: only a cancel may end it
    assert resolver.cancel(tx).state == S.CANCELLED


def test_never_received_is_cancelled_so_a_late_pay_charges_nothing(resolver, acquirer, sent):
    acquirer.answer(api.INQUIRY, fail("ORDER_NOT_EXIST"))
    acquirer.answer(api.CANCEL, ok())
    tx = resolver.inquire(sent)
    assert tx.state == S.CANCEL_PENDING and tx.cancel_reason == "not_received"
    assert acquirer.paths() == [api.INQUIRY]
    tx = resolver.cancel(tx)
    assert tx.state == S.CANCELLED


def test_a_business_decline_from_inquiry_is_final(resolver, acquirer, sent):
    acquirer.answer(api.INQUIRY, ok(paymentStatus="FAIL", paymentResult={"resultStatus": "F",
                                                                           "resultCode": "RISK_REJECT"}))
    tx = resolver.inquire(sent)
    assert tx.state == S.DECLINED and tx.result_code == "RISK_REJECT"


def test_a_refused_cancel_settles_on_the_payments_real_state(resolver, acquirer, journal):
    tx = approved_tx(journal, 500, payment_id="P-5")
    tx = resolver.queue_void(tx.id)
    acquirer.answer(api.CANCEL, fail("CANCEL_WINDOW_EXCEED"))
    acquirer.answer(api.INQUIRY, ok(paymentStatus="SUCCESS", paymentAmount={"currency": "USD", "value": "500"}))
    tx = resolver.cancel(tx, deadline_s=1)
    assert tx.state == S.APPROVED                        # the void came too late: refund instead
    assert acquirer.paths() == [api.CANCEL, api.INQUIRY]


def test_cancel_retries_are_journalled_with_their_backoff(resolver, acquirer, sent):
    acquirer.answer(api.INQUIRY, unknown())
    tx = resolver.inquire(sent)
    acquirer.answer(api.CANCEL, unknown(), unknown(), ok())
    tx = resolver.cancel(tx)
    assert tx.state == S.CANCELLED and tx.cancel_attempts == 2
