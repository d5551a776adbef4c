"""The money operations, one at a time: sale, void, refund, batch close and recovery.

Two threads must never drive the same payment's cancel or refund concurrently, and a new sale
must never start while an earlier payment is unresolved (it is resolved first, or the sale is
refused). So every operation that moves money runs under one lock, here, with the recovery
gate in front of the sale and of the batch close. The Terminal face (service.py) decides who
may ask (PINs, the till's lock, the sale rules); this module decides when it may run, and
writes one operation log line for each, failed or not (oplog.py).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .batch import BatchCloser, BatchReport
from .codes import PaymentCode, parse_payment_code
from .errors import BusinessError, UnknownResultError
from .journal import Journal
from .money import Money
from .oplog import operation
from .payments import PaymentService
from .records import Refund, Transaction
from .recovery import OnItem, Recovery
from .refund_reasons import RefundReason
from .refunds import RefundService
from .resolution import Progress, Resolver
from .sale_rules import SaleRequest
from .states import TxState

log = logging.getLogger("terminal.service")
S = TxState
OPERATION_WAIT_S = 15
# Closing waits this long at most for an operation in flight (an acquirer request that hangs
# must not hold the app open); the journal is crash-safe, so what it leaves is resolved at start.
CLOSE_GRACE_S = 2.0


class SaleInProgress(BusinessError):
    code = "SALE_IN_PROGRESS"


@dataclass(frozen=True)
class AcceptedCode:
    """A payment code that passed the reuse check (`Terminal.accept_code`): the checkout checks
    at scan time, so the sale keeps waiting on a double scan, and the charge does not repeat it."""

    code: PaymentCode

    def drop(self) -> None:
        self.code.drop()


class MoneyOperations:
    def __init__(self, *, journal: Journal, payments: PaymentService, resolver: Resolver, refunds: RefundService,
                 batches: BatchCloser, window_s: float, sale_gate: Callable[[], None]):
        """`sale_gate()` raises when no new sale may start now (the till is locked, the acquirer
        is known to be unreachable): checked before anything is written."""
        self._sale_gate = sale_gate
        self._journal = journal
        self._payments = payments
        self._resolver = resolver
        self._refunds = refunds
        self._batches = batches
        self._window_s = window_s
        self._lock = threading.Lock()
        self.recovery = Recovery(journal=journal, resolver=resolver, refunds=refunds, window_s=window_s,
                                 progress=self.progress, operation_lock=self._lock)

    def progress(self, p: Progress) -> None:
        """Journalled like every event, so the UI and SSE clients see one ordered stream."""
        self._journal.note(p.tx_id, "progress", phase=p.phase, attempt=p.attempt, elapsedS=round(p.elapsed_s, 3))

    def busy(self) -> bool:
        return self._lock.locked()

    @contextlib.contextmanager
    def exclusive(self, timeout_s: float = OPERATION_WAIT_S) -> Iterator[None]:
        """Wait (bounded) for the operation in flight, then hold the lock; SaleInProgress if it
        does not end in time."""
        if not self._lock.acquire(timeout=timeout_s):
            raise SaleInProgress("the terminal is busy with another payment: try again in a moment")
        try:
            yield
        finally:
            self._lock.release()

    def accept_code(self, code: str | PaymentCode) -> AcceptedCode:
        parsed = parse_payment_code(code) if isinstance(code, str) else code
        try:
            self._payments.refuse_reused(parsed)
        except BaseException:
            parsed.drop()
            raise
        return AcceptedCode(parsed)

    def sale(self, request: SaleRequest, code: str | PaymentCode | AcceptedCode, *,
             tx_id: str | None = None) -> Transaction:
        """Refused at once (never queued behind another payment); earlier unresolved payments
        are resolved first, and the sale is refused if any stays unresolved. The code is
        dropped (zeroed) when it returns, whatever happened."""
        # a bad scan is refused here, before anything is written
        parsed = code.code if isinstance(code, AcceptedCode) else (
            parse_payment_code(code) if isinstance(code, str) else code)
        try:
            self._sale_gate()
            if not self._lock.acquire(blocking=False):
                raise SaleInProgress("the terminal is busy with another payment (a sale, or an earlier payment "
                                     "being resolved): wait for it, then try again")
            try:
                if self.recovery.has_pending():    # asked once per sale; again only after a recovery
                    self.recovery.run()
                    if self.recovery.has_pending():
                        raise UnknownResultError(
                            "earlier payments are still unresolved: the acquirer is not reachable; check the "
                            "network; the running terminal keeps trying in the background (if none is running, "
                            "`pos-terminal recover` resolves them)")
                if not isinstance(code, AcceptedCode):
                    self._payments.refuse_reused(parsed)
                tx = self._payments.sale(request, parsed, progress=self.progress, tx_id=tx_id)
                operation("sale", tx)
                return tx
            finally:
                self._lock.release()
        except Exception as exc:
            operation("sale", error=exc, txId=tx_id, maskedCode=parsed.masked, amount=request.total.to_api())
            raise
        finally:
            parsed.drop()

    def void(self, tx_id: str) -> Transaction:
        try:
            with self.exclusive():
                tx = self._void(tx_id)
        except Exception as exc:
            operation("void", error=exc, txId=tx_id)
            raise
        operation("void", tx)
        return tx

    def _void(self, tx_id: str) -> Transaction:
        tx = self._journal.get(tx_id)
        if tx.state != S.APPROVED:
            raise BusinessError(f"transaction {tx_id} is {tx.state.value}: only an approved payment can be voided",
                                code="NOT_VOIDABLE")
        if tx.refunds:
            raise BusinessError("this payment has refunds: refund the rest instead of voiding", code="NOT_VOIDABLE")
        tx = self._resolver.queue_void(tx_id)
        tx = self._resolver.cancel(tx, deadline_s=self._window_s, progress=self.progress)
        if tx.state == S.APPROVED:
            raise BusinessError("the void window has passed (CANCEL_WINDOW_EXCEED): refund the payment instead",
                                code="CANCEL_WINDOW_EXCEED")
        if tx.state == S.CANCEL_PENDING:
            raise UnknownResultError(f"void of {tx_id} queued: the acquirer has not confirmed it yet; "
                                     "the running terminal keeps trying in the background (if none is running, "
                                     "`pos-terminal recover` does it)")
        return tx

    def refund(self, tx_id: str, amount: Money | None, *, reason: RefundReason | None) -> Refund:
        try:
            with self.exclusive():
                refund = self._refunds.refund(tx_id, amount, reason=reason, deadline_s=self._window_s)
        except Exception as exc:
            operation("refund", error=exc, txId=tx_id, amount=amount.to_api() if amount else None)
            raise
        operation("refund", refund)
        return refund

    def close_batch(self, *, allow_empty: bool) -> BatchReport:
        try:
            with self.exclusive():
                if self.recovery.has_pending():
                    self.recovery.run()
                report = self._batches.close(allow_empty=allow_empty)
        except Exception as exc:
            operation("batch_close", error=exc)
            raise
        operation("batch_close", batchId=report.batch_id, matched=report.matched, totals=report.totals)
        return report

    def recover(self, *, on_item: OnItem | None = None) -> list[Transaction]:
        with self.exclusive():
            return self.recovery.run(on_item=on_item)

    def stop_waiting(self) -> None:
        """Cut short the waits of an operation in flight (inquiry schedule, cancel backoff)."""
        self._resolver.stop()

    def close(self, finish: Callable[[], None], *, also_stop: tuple[Callable[[], None], ...] = ()) -> None:
        """Stop the background resolution, the waits and `also_stop`; give an operation in flight
        CLOSE_GRACE_S to finish, and no more: an acquirer request that hangs must not hold the
        app open. Then the journal, under its lock (a write in progress commits first; a late
        writer gets JOURNAL_CLOSED, and the payment it was writing stays CREATED/SENT/UNKNOWN for
        the inquiry at the next start); then `finish()` (devices, the embedded sandbox and the
        owner lock, released only once nothing here can write)."""
        self.recovery.stop()
        self._resolver.stop()
        for stop in also_stop:
            stop()
        idle = self._lock.acquire(timeout=CLOSE_GRACE_S)
        try:
            if not idle:
                log.warning("closing with an operation in flight: the next start resolves it")
            self.recovery.join(timeout_s=CLOSE_GRACE_S if idle else 0)
            self._journal.close()
            finish()
        finally:
            if idle:
                self._lock.release()
