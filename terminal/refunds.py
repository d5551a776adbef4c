"""Full and partial refunds (acquirer-api.md §4): idempotent refundRequestId journalled before
sending, unknown results retried with the same id and confirmed with inquiryRefund."""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from . import acquirer as api
from .crashpoints import crashpoint
from .errors import BusinessError, InputError, UnknownResultError
from .journal import Journal
from .money import Money
from .reasons import reason
from .records import (
    REFUND_FAIL,
    REFUND_PENDING,
    REFUND_SUCCESS,
    Refund,
    Transaction,
    new_id,
)
from .refund_reasons import NO_REASON_SENT, RefundReason
from .resolution import backoff_delay
from .states import TxState

log = logging.getLogger("terminal.refunds")
S = TxState


class RefundService:
    def __init__(self, *, journal: Journal, client: api.AcquirerClient, retry_base_s: float,
                 retry_cap_s: float, wait: Callable[[float], bool]):
        self.journal = journal
        self.client = client
        self.retry_base_s = retry_base_s
        self.retry_cap_s = retry_cap_s
        self._wait = wait

    def refund(self, tx_id: str, amount: Money | None = None, *, reason: RefundReason | None = None,
               deadline_s: float = 60) -> Refund:
        tx = self.journal.get(tx_id)
        if tx.state not in (S.APPROVED, S.PARTIALLY_REFUNDED):
            raise BusinessError(f"transaction {tx_id} is {tx.state.value}: only an approved payment can be refunded",
                                code="NOT_REFUNDABLE")
        if any(r.state == REFUND_PENDING for r in tx.refunds):
            raise BusinessError("a refund of this payment is still being confirmed: wait until the terminal has confirmed it "
                                "(`pos-terminal transactions` shows it), then try again",
                                code="REFUND_PENDING")
        remaining = tx.amount - tx.refunded()
        amount = amount or remaining
        if amount.currency != tx.currency:
            raise InputError(f"refund currency {amount.currency} differs from the payment's {tx.currency}",
                             code="BAD_CURRENCY")
        if amount.minor > remaining.minor:
            raise InputError(f"refund {amount.plain()} is more than the {remaining.plain()} {tx.currency} left to refund",
                             code="REFUND_AMOUNT_EXCEED")
        refund = self.journal.create_refund(Refund(
            id=new_id("R"), refund_request_id=f"RR{uuid.uuid4().hex}", tx_id=tx.id,
            currency=amount.currency, amount_minor=amount.minor, state=REFUND_PENDING,
            reason_code=reason.code if reason else "", reason_text=reason.text if reason else ""))
        crashpoint("after_refund_intent")
        return self.drive(refund, tx=tx, deadline_s=deadline_s)

    def drive(self, refund: Refund, *, tx: Transaction | None = None, deadline_s: float | None = None) -> Refund:
        """Send (or resend, same refundRequestId and the journalled reason) until a verified
        final answer, or the deadline."""
        tx = tx or self.journal.get(refund.tx_id)
        started = time.monotonic()
        sent = RefundReason(refund.reason_code, refund.reason_text).sent if refund.reason_code else NO_REASON_SENT
        body = {"refundRequestId": refund.refund_request_id, "paymentId": tx.payment_id,
                "refundAmount": refund.amount.to_api(), "refundReason": sent[:100]}
        attempt = refund.attempts
        while True:
            attempt += 1
            self.journal.bump_refund_attempts(refund.id)
            # After the first try, ask first: inquiryRefund tells whether an earlier send landed.
            result = self._inquire(refund) if attempt > 1 else None
            if result is None:
                result = self.client.call(api.REFUND, body, echo={"refundRequestId": refund.refund_request_id})
                crashpoint("after_refund_response")
            if result.ok:
                return self._finish(refund, REFUND_SUCCESS, result.code, str(result.body.get("refundId", "")))
            if result.failed:
                self._finish(refund, REFUND_FAIL, result.code)
                raise BusinessError(reason(result.code, result.message or result.code), code=result.code)
            delay = backoff_delay(attempt, base_s=self.retry_base_s, cap_s=self.retry_cap_s)
            if deadline_s is not None and time.monotonic() - started + delay > deadline_s:
                raise UnknownResultError(
                    f"refund {refund.id} not confirmed yet: it stays pending; the running terminal keeps trying in the background (if none is running, `pos-terminal recover` does it)",
                )
            if self._wait(delay):
                raise UnknownResultError(f"refund {refund.id} interrupted: it stays pending; the running terminal keeps trying in the background (if none is running, `pos-terminal recover` does it)")

    def _inquire(self, refund: Refund) -> api.AcquirerResult | None:
        """An answer when inquiryRefund knows the final state; None to (re)send the refund."""
        result = self.client.call(api.INQUIRY_REFUND, {"refundRequestId": refund.refund_request_id},
                                  echo={"refundRequestId": refund.refund_request_id})
        if not result.verified:
            return result if result.status == "U" and result.transport_error else None
        if result.status == "F":
            return None  # e.g. not found: the refund never arrived, resend it with the same id
        status = result.body.get("refundStatus")
        if status == "SUCCESS":
            return result
        if status == "FAIL":
            inner = result.body.get("refundResult") or {}
            code = inner.get("resultCode", "FAIL") if isinstance(inner, dict) else "FAIL"
            return api.AcquirerResult("F", str(code), body=result.body, verified=True)
        return api.AcquirerResult("U", "PROCESSING", body=result.body, verified=True)

    def _finish(self, refund: Refund, state: str, code: str, refund_id: str = "") -> Refund:
        tx = self.journal.get(refund.tx_id)
        tx_state = None
        if state == REFUND_SUCCESS:
            left = tx.amount.minor - tx.refunded().minor - refund.amount_minor
            tx_state = S.REFUNDED if left <= 0 else S.PARTIALLY_REFUNDED
        return self.journal.finish_refund(refund.id, state, tx_state=tx_state, result_code=code, refund_id=refund_id)
