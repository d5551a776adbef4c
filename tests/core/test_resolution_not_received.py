"""Inquiry answers that say "never received" or are not a clear decline (acquirer-api.md §4-5).

ORDER_NOT_EXIST means the pay never reached the acquirer, wherever the acquirer puts it: the
inquiry call's own `result`, or `paymentResult` inside an answer with `paymentStatus: FAIL`.
Either way the terminal must close the id with cancelPayment before it ends the payment as
not charged (CANCELLED), because a pay still on its way would otherwise charge the customer
after the terminal said "declined". Only a positive business failure ends a payment DECLINED.
"""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.resolution import Resolver
from terminal.states import TxState

from .journal_helpers import unknown_tx


class ScriptedClient:
    """Answers each call from a per-path script; records every call made."""

    def __init__(self, script: dict[str, list[api.AcquirerResult]]):
        self.script = {path: list(answers) for path, answers in script.items()}
        self.calls: list[tuple[str, dict]] = []

    def call(self, path, body, **_kw):
        self.calls.append((path, body))
        answers = self.script[path]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def verified(status, code, **body):
    return api.AcquirerResult(status, code, body={"result": {"resultStatus": status, "resultCode": code}, **body},
                              verified=True)


CANCEL_OK = verified("S", "SUCCESS")
PROCESSING = verified("S", "SUCCESS", paymentStatus="PROCESSING",
                      paymentResult={"resultStatus": "U", "resultCode": "PAYMENT_IN_PROCESS"})


def _resolve(journal, client, tx):
    resolver = Resolver(journal=journal, client=client, interval_s=0.0, window_s=0.0, cancel_retry_max_s=0.0,
                        wait=lambda _s: False)
    tx = resolver.inquire(tx)
    if tx.state == TxState.CANCEL_PENDING:
        tx = resolver.cancel(tx, deadline_s=0.0)
    return tx


NOT_RECEIVED_FORMS = {
    "call result": verified("F", "ORDER_NOT_EXIST"),
    "paymentResult of a FAIL answer": verified(
        "S", "SUCCESS", paymentStatus="FAIL",
        paymentResult={"resultStatus": "F", "resultCode": "ORDER_NOT_EXIST", "resultMessage": "order not exist"}),
}


@pytest.mark.parametrize("form", sorted(NOT_RECEIVED_FORMS))
def test_not_received_is_cancelled_before_it_ends(journal, form):
    tx = unknown_tx(journal)
    client = ScriptedClient({api.INQUIRY: [NOT_RECEIVED_FORMS[form]], api.CANCEL: [CANCEL_OK]})
    tx = _resolve(journal, client, tx)
    assert tx.state == TxState.CANCELLED
    assert tx.cancel_reason == "not_received"
    assert [path for path, _ in client.calls] == [api.INQUIRY, api.CANCEL]
    assert client.calls[-1][1] == {"paymentRequestId": tx.payment_request_id}


def test_not_received_stays_pending_until_the_cancel_is_accepted(journal):
    """Never DECLINED, never CANCELLED while the acquirer has not closed the id."""
    tx = unknown_tx(journal)
    client = ScriptedClient({api.INQUIRY: [NOT_RECEIVED_FORMS["paymentResult of a FAIL answer"]],
                             api.CANCEL: [api.AcquirerResult("U", api.TIMEOUT, transport_error=api.TIMEOUT)]})
    tx = _resolve(journal, client, tx)
    assert tx.state == TxState.CANCEL_PENDING


def test_positive_business_failure_declines(journal):
    tx = unknown_tx(journal)
    decline = verified("S", "SUCCESS", paymentStatus="FAIL",
                       paymentResult={"resultStatus": "F", "resultCode": "USER_BALANCE_NOT_ENOUGH"})
    client = ScriptedClient({api.INQUIRY: [decline]})
    tx = _resolve(journal, client, tx)
    assert tx.state == TxState.DECLINED and tx.result_code == "USER_BALANCE_NOT_ENOUGH"
    assert [path for path, _ in client.calls] == [api.INQUIRY]


@pytest.mark.parametrize("inner", [
    None,                                                     # FAIL with no reason at all
    {"resultStatus": "U", "resultCode": "SYSTEM_ERROR"},      # not a final failure
    {"resultStatus": "F", "resultCode": "SYSTEM_ERROR"},      # an error, not a business refusal
    {"resultStatus": "F", "resultCode": "INVALID_SIGNATURE"},  # a protocol fault, not a decline
])
def test_fail_without_a_business_reason_is_not_a_decline(journal, inner):
    """An unclear FAIL keeps the payment unknown: the window runs out and the cancel closes it."""
    tx = unknown_tx(journal)
    body = {"paymentStatus": "FAIL"} | ({"paymentResult": inner} if inner else {})
    client = ScriptedClient({api.INQUIRY: [verified("S", "SUCCESS", **body)], api.CANCEL: [CANCEL_OK]})
    tx = _resolve(journal, client, tx)
    assert tx.state == TxState.CANCELLED
    assert [path for path, _ in client.calls] == [api.INQUIRY, api.CANCEL]


def test_processing_then_not_received_form_still_cancels(journal):
    tx = unknown_tx(journal)
    client = ScriptedClient({api.INQUIRY: [PROCESSING, NOT_RECEIVED_FORMS["paymentResult of a FAIL answer"]],
                             api.CANCEL: [CANCEL_OK]})
    resolver = Resolver(journal=journal, client=client, interval_s=0.0, window_s=10.0, cancel_retry_max_s=0.0,
                        wait=lambda _s: False)
    tx = resolver.inquire(tx)
    assert tx.state == TxState.CANCEL_PENDING and tx.cancel_reason == "not_received"
    assert resolver.cancel(tx).state == TxState.CANCELLED
