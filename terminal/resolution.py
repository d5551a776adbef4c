"""Resolving payments whose outcome is unknown (acquirer-api.md §5) and the cancel queue.

inquiryPayment every `inquiry_interval_s` for up to `inquiry_window_s`; still unknown ->
cancelPayment from a queue kept in the journal, retried with capped exponential backoff and
jitter until the acquirer says S. A payment ends CANCELLED only when the cancel is accepted,
APPROVED if an inquiry saw SUCCESS first.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import acquirer as api
from .crashpoints import crashpoint
from .journal import Journal
from .reasons import FAULT_CODES, is_business_decline
from .records import Transaction, now_iso
from .states import UNRESOLVED, TransitionRefused, TxState

log = logging.getLogger("terminal.resolution")
S = TxState


@dataclass(frozen=True)
class Progress:
    tx_id: str
    phase: str          # "inquiring" | "cancelling"
    attempt: int
    elapsed_s: float


ProgressListener = Callable[[Progress], None]


def backoff_delay(attempt: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with 'equal jitter': half fixed, half random (stripe-python)."""
    delay = min(cap_s, base_s * (2 ** min(max(0, attempt - 1), 32)))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def approved_fields(body: dict) -> dict:
    """Journal columns from a pay (or inquiry) answer."""
    method = body.get("paymentMethod") or {}
    fields = {
        "payment_id": str(body.get("paymentId", "")),
        "payment_time": str(body.get("paymentTime", "")),
        "payment_token": str(method.get("paymentToken", "")) if isinstance(method, dict) else "",
    }
    if isinstance(body.get("customerAmount"), dict):
        fields["customer_amount"] = json.dumps(body["customerAmount"], sort_keys=True)
        fields["exchange_rate"] = str(body.get("exchangeRate", ""))
    return fields


class Resolver:
    def __init__(self, *, journal: Journal, client: api.AcquirerClient, interval_s: float, window_s: float,
                 cancel_retry_max_s: float, wait: Callable[[float], bool] | None = None,
                 on_fault: Callable[[str], None] | None = None):
        self.journal = journal
        self.client = client
        self.interval_s = interval_s
        self.window_s = window_s
        self.cancel_cap_s = cancel_retry_max_s
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait   # returns True when asked to stop
        self._on_fault = on_fault or (lambda code: None)

    def stop(self) -> None:
        self._stop.set()

    # -- inquiry --------------------------------------------------------------------------
    def inquire(self, tx: Transaction, *, progress: ProgressListener | None = None) -> Transaction:
        """UNKNOWN/INQUIRING -> APPROVED | DECLINED | CANCEL_PENDING (window exhausted).

        Acts only from the state it read: if another actor moved the payment meanwhile, every
        write is refused (compare-and-set) and the payment as found is returned."""
        try:
            return self._inquire(tx, progress=progress)
        except TransitionRefused as refused:
            log.warning("inquiry stopped: %s", refused.message, extra={"txId": tx.id})
            return self.journal.get(tx.id)

    def _inquire(self, tx: Transaction, *, progress: ProgressListener | None = None) -> Transaction:
        if tx.state in (S.CREATED, S.SENT):
            tx = self.journal.transition(tx.id, *([S.SENT] if tx.state == S.CREATED else []), S.UNKNOWN,
                                         expect=tx.state)
        if tx.state == S.UNKNOWN:
            tx = self.journal.transition(tx.id, S.INQUIRING, expect=S.UNKNOWN)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            elapsed = time.monotonic() - started
            if progress:
                progress(Progress(tx.id, "inquiring", attempt, elapsed))
            result = self.client.call(api.INQUIRY, {"paymentRequestId": tx.payment_request_id},
                                      echo={"paymentRequestId": tx.payment_request_id})
            crashpoint("after_inquiry_response")
            final = self._apply_inquiry(tx, result)
            if final is not None:
                return final
            if time.monotonic() - started + self.interval_s > self.window_s:
                break
            if self._wait(self.interval_s):
                return self.journal.get(tx.id)
        log.info("inquiry window exhausted; queueing cancel", extra={"txId": tx.id})
        return self.queue_cancel(tx.id, reason="unknown")

    def _apply_inquiry(self, tx: Transaction, result: api.AcquirerResult) -> Transaction | None:
        if not result.verified:
            return None
        body = result.body
        if result.not_received:
            # The pay never arrived (in the call's result, or in paymentResult of a FAIL
            # answer): cancelling closes the id so a pay still on its way charges nothing.
            return self.queue_cancel(tx.id, reason="not_received")
        if result.status != "S":
            return None
        return self._settle(tx, body)

    def _settle(self, tx: Transaction, body: dict) -> Transaction | None:
        """The final state an inquiry answer shows, journalled; None while it is not final."""
        status = body.get("paymentStatus")
        found = body.get("paymentResult")
        inner: dict = found if isinstance(found, dict) else {}
        if status == "SUCCESS":
            amount = body.get("paymentAmount")
            if amount is not None and amount != tx.amount.to_api():
                log.error("inquiry amount differs from the journal", extra={"txId": tx.id})
                return None
            return self.journal.transition(tx.id, S.APPROVED, expect=tx.state, result_code="SUCCESS",
                                           result_message="", **approved_fields(body))
        if status == "FAIL":
            code = str(inner.get("resultCode") or "")
            if not is_business_decline(str(inner.get("resultStatus") or ""), code):
                # Not a positive refusal (never received, an error, no reason given): only a
                # cancel may end it, so the payment stays unknown here.
                log.warning("inquiry FAIL without a business reason; not a decline",
                            extra={"txId": tx.id, "code": code})
                return None
            return self.journal.transition(tx.id, S.DECLINED, expect=tx.state, result_code=code,
                                           result_message=str(inner.get("resultMessage", "")))
        if status == "CANCELLED":
            if tx.state == S.CANCEL_PENDING:   # our own cancel's reason stands
                return self.journal.transition(tx.id, S.CANCELLED, expect=S.CANCEL_PENDING, result_code="CANCELLED")
            return self.journal.transition(tx.id, S.CANCEL_PENDING, S.CANCELLED, expect=tx.state,
                                           result_code="CANCELLED", cancel_reason="acquirer")
        return None

    # -- cancel queue -----------------------------------------------------------------------
    def queue_cancel(self, tx_id: str, *, reason: str) -> Transaction:
        """Queue the cancel of a payment whose result is unknown. Only from an unresolved state
        (compare-and-set): a payment another actor saw APPROVED is never cancelled from here;
        voiding one is its own operation (`queue_void`). Refused: TransitionRefused."""
        tx = self.journal.get(tx_id)
        if tx.state == S.CANCEL_PENDING:
            return tx
        expected = tx.state if tx.state in UNRESOLVED else UNRESOLVED
        return self.journal.transition(tx_id, S.CANCEL_PENDING, expect=expected, cancel_reason=reason,
                                       next_attempt_at=now_iso())

    def queue_void(self, tx_id: str) -> Transaction:
        """The merchant's explicit void of an APPROVED payment (its own journal entry)."""
        return self.journal.transition(tx_id, S.CANCEL_PENDING, expect=S.APPROVED, cancel_reason="void",
                                       next_attempt_at=now_iso())

    def cancel(self, tx: Transaction, *, deadline_s: float | None = None,
               progress: ProgressListener | None = None) -> Transaction:
        """Drive a CANCEL_PENDING transaction until the acquirer answers S (or deadline)."""
        try:
            return self._cancel(tx, deadline_s=deadline_s, progress=progress)
        except TransitionRefused as refused:
            log.warning("cancel stopped: %s", refused.message, extra={"txId": tx.id})
            return self.journal.get(tx.id)

    def _cancel(self, tx: Transaction, *, deadline_s: float | None = None,
                progress: ProgressListener | None = None) -> Transaction:
        started = time.monotonic()
        while tx.state == S.CANCEL_PENDING:
            attempt = tx.cancel_attempts + 1
            if progress:
                progress(Progress(tx.id, "cancelling", attempt, time.monotonic() - started))
            crashpoint("before_cancel")
            result = self.client.call(api.CANCEL, {"paymentRequestId": tx.payment_request_id},
                                      echo={"paymentRequestId": tx.payment_request_id})
            crashpoint("after_cancel_response")
            if result.ok:
                return self.journal.transition(tx.id, S.CANCELLED, expect=S.CANCEL_PENDING, result_code="CANCELLED")
            if result.failed and result.code == "CANCEL_WINDOW_EXCEED":
                settled = self._settle_after_refused_cancel(tx)
                if settled is not None:
                    return settled
            if result.failed and result.code in FAULT_CODES:
                self._on_fault(result.code)
            delay = backoff_delay(attempt, base_s=self.interval_s, cap_s=self.cancel_cap_s)
            tx = self.journal.update(tx.id, cancel_attempts=attempt, next_attempt_at=now_iso(delay))
            self.journal.note(tx.id, "cancel_retry", attempt=attempt, resultCode=result.code, delayS=round(delay, 3))
            if deadline_s is not None and time.monotonic() - started + delay > deadline_s:
                return tx
            if self._wait(delay):
                return tx
        return tx

    def _settle_after_refused_cancel(self, tx: Transaction) -> Transaction | None:
        """The window closed: the payment's real state decides (a void becomes 'refund instead')."""
        result = self.client.call(api.INQUIRY, {"paymentRequestId": tx.payment_request_id},
                                  echo={"paymentRequestId": tx.payment_request_id})
        if not result.ok:
            return None
        self.journal.note(tx.id, "cancel_refused", resultCode="CANCEL_WINDOW_EXCEED",
                          paymentStatus=str(result.body.get("paymentStatus")))
        return self._settle(tx, result.body)
