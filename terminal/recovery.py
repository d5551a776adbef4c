"""Recovery: every payment whose outcome is not final and every unconfirmed refund, resolved.

Runs at start, on `pos-terminal recover`, before a new sale (a sale never starts while anything
is unresolved) and, in long-running processes (app, control server), in the background
between sales, so a queued cancel or refund keeps being retried. The caller's operation lock
keeps it from driving a payment another operation is driving.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import BusinessError, UnknownResultError
from .journal import Journal
from .oplog import operation
from .records import Refund, Transaction
from .refunds import RefundService
from .resolution import ProgressListener, Resolver
from .states import TxState

log = logging.getLogger("terminal.recovery")
OnItem = Callable[[str, Transaction | Refund], None]


class Recovery:
    def __init__(self, *, journal: Journal, resolver: Resolver, refunds: RefundService, window_s: float,
                 progress: ProgressListener, operation_lock: threading.Lock):
        self._journal = journal
        self._resolver = resolver
        self._refunds = refunds
        self._window_s = window_s
        self._progress = progress
        self._lock = operation_lock
        self._stopping = threading.Event()
        self._background: threading.Thread | None = None

    def has_pending(self) -> bool:
        return bool(self._journal.pending() or self._journal.pending_refunds())

    def run(self, *, on_item: OnItem | None = None) -> list[Transaction]:
        """Resolve what is pending now. The caller holds the operation lock."""
        resolved = []
        for tx in self._journal.pending():
            if on_item:
                on_item("resolving", tx)
            if tx.state != TxState.CANCEL_PENDING:
                tx = self._resolver.inquire(tx, progress=self._progress)
            if tx.state == TxState.CANCEL_PENDING:
                tx = self._resolver.cancel(tx, deadline_s=self._window_s, progress=self._progress)
            resolved.append(tx)
            operation("recovery", tx)
            if on_item:
                on_item("resolved", tx)
        for refund in self._journal.pending_refunds():
            if on_item:
                on_item("resolving", refund)
            try:
                refund = self._refunds.drive(refund, deadline_s=self._window_s)
            except (BusinessError, UnknownResultError) as exc:
                log.info("refund recovery: %s", exc.message)
            operation("recovery", refund)
            if on_item:
                on_item("resolved", refund)
        return resolved

    def start_background(self, interval_s: float) -> bool:
        """Retry what is pending every `interval_s` while no other operation runs. False if
        already started."""
        if self._background is not None:
            return False

        def loop() -> None:
            while not self._stopping.wait(interval_s):
                if not self.has_pending() or not self._lock.acquire(blocking=False):
                    continue
                try:
                    self.run()
                except Exception:
                    log.exception("background resolution failed; retrying later")
                finally:
                    self._lock.release()

        self._background = threading.Thread(target=loop, name="pending-resolution", daemon=True)
        self._background.start()
        return True

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout_s: float = 10) -> None:
        if self._background is not None:
            self._background.join(timeout=timeout_s)
