"""The checkout: what the terminal is doing right now, shared by the touchscreen app and the
control API (terminal-interfaces.md §2 `GET /v1/status`).

    IDLE -> AWAITING_SCAN (begin) -> PROCESSING (a valid scan) -> RESULT -> IDLE (acknowledge)
    AWAITING_SCAN -> IDLE (cancel)

The sale itself runs on a worker thread; state changes are journalled as `checkout` events,
so every listener (UI, SSE) sees them in one ordered, resumable stream with sequence numbers.
"""
from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .codes import PaymentCodeError
from .errors import BusinessError, TerminalError
from .money import Money
from .records import Transaction, new_id, now_iso
from .sale_rules import SaleRequest
from .service import AcceptedCode, SaleInProgress, Terminal

log = logging.getLogger("terminal.checkout")
T = TypeVar("T")


class TerminalState(str, enum.Enum):
    IDLE = "IDLE"
    AWAITING_SCAN = "AWAITING_SCAN"
    PROCESSING = "PROCESSING"
    RESULT = "RESULT"
    FAULT = "FAULT"


class NoSaleAwaitingScan(BusinessError):
    code = "NO_SALE_AWAITING_SCAN"


@dataclass
class PendingSale:
    """A sale the rules accepted, waiting for its scan (in memory only until then)."""

    tx_id: str
    request: SaleRequest
    created_at: str = field(default_factory=now_iso)

    @property
    def amount(self) -> Money:
        return self.request.amount

    @property
    def tip(self) -> Money | None:
        return self.request.tip

    @property
    def reference(self) -> str:
        return self.request.reference

    @property
    def idempotency_key(self) -> str | None:
        return self.request.idempotency_key

    @property
    def total(self) -> Money:
        return self.request.total

    def to_api(self) -> dict:
        """Shaped like a journal transaction; not journalled until a code is scanned."""
        return {"transactionId": self.tx_id, "paymentRequestId": "", "state": "CREATED", "awaitingScan": True,
                "amount": self.total.to_api(), "tip": (self.tip or Money(self.amount.currency, 0)).to_api(),
                "wallet": "", "maskedCode": "", "paymentId": "", "resultCode": "", "resultMessage": "",
                "reference": self.reference, "createdAt": self.created_at, "finalAt": "", "refunds": []}


class Checkout:
    def __init__(self, *, terminal: Terminal):
        self.terminal = terminal
        self._lock = threading.RLock()
        self._done = threading.Condition(self._lock)
        self.state = TerminalState.IDLE
        self.pending: PendingSale | None = None
        self.result: Transaction | None = None
        self.error: TerminalError | None = None
        self._worker: threading.Thread | None = None

    def _set(self, state: TerminalState, tx_id: str, **detail) -> None:
        self.state = state
        try:
            self.terminal.events.note_checkout(tx_id, state.value, **detail)
        except TerminalError as exc:   # shutting down (journal closed): the payment itself is journalled
            log.warning("checkout event not journalled", extra={"txId": tx_id, "reason": exc.message})

    def status(self) -> dict:
        with self._lock:
            return {"state": self.state.value,
                    "transactionId": (self.pending.tx_id if self.pending else
                                      self.result.id if self.result else None)}

    def begin(self, amount: Money, *, tip: Money | None = None, reference: str = "",
              idempotency_key: str | None = None) -> PendingSale | Transaction:
        """Start a sale that waits for a scan. The same idempotency key returns the same sale."""
        with self._lock:
            if idempotency_key:
                if self.pending and self.pending.idempotency_key == idempotency_key:
                    return self.pending
                done = self.terminal.find_sale(idempotency_key)
                if done is not None:
                    return done
            if self.state in (TerminalState.AWAITING_SCAN, TerminalState.PROCESSING):
                raise SaleInProgress("a sale is already in progress: finish or cancel it first")
            request = self.terminal.sale_request(amount, tip=tip, reference=reference,
                                                 idempotency_key=idempotency_key)
            self.terminal.refuse_if_unreachable()     # up front: nothing sent, not charged
            self.pending = PendingSale(new_id("T"), request)
            self.result = self.error = None
            self._set(TerminalState.AWAITING_SCAN, self.pending.tx_id, amount=request.total.to_api())
            return self.pending

    def scan(self, code_text: str) -> str:
        """A scan from any scanner (or the control API). Returns the transaction id being charged.

        A code that is not a payment code is refused (InputError) and the sale keeps waiting.
        """
        with self._lock:
            if self.state != TerminalState.AWAITING_SCAN or self.pending is None:
                raise NoSaleAwaitingScan("no sale is waiting for a scan: start a sale first")
            try:
                code = self.terminal.accept_code(code_text)
            except PaymentCodeError as exc:
                self.terminal.events.note_scan_rejected(self.pending.tx_id, exc.reason)
                raise
            sale = self.pending
            self._set(TerminalState.PROCESSING, sale.tx_id)
            self._worker = threading.Thread(target=self._charge, args=(sale, code),
                                            name=f"sale-{sale.tx_id}", daemon=True)
            self._worker.start()
            return sale.tx_id

    def _charge(self, sale: PendingSale, code: AcceptedCode) -> None:
        tx = error = None
        try:
            tx = self.terminal.sale(sale.request, code, tx_id=sale.tx_id)
        except TerminalError as exc:
            error = exc
        except Exception as exc:  # never leave the checkout stuck in PROCESSING
            log.exception("sale failed unexpectedly")
            error = TerminalError(f"internal error: {exc}")
        with self._lock:
            self.pending = None
            self.result, self.error = tx, error
            self._set(TerminalState.RESULT, sale.tx_id, txState=tx.state.value if tx else "",
                      error=error.message if error else "")
            self._done.notify_all()

    def read_with_live_sale(self, read: Callable[[str], T]) -> T:
        """``read(live_tx_id)`` with the checkout held still; ``live_tx_id`` is the sale being
        charged now ("" when none).

        A sale's transaction turns final in the journal a moment before the checkout journals
        its RESULT (in one locked step with clearing `pending`). A journal reader that looked in
        between, and asked who was live only afterwards, took the sale the cashier is about to
        see for an outcome nobody saw. Under the lock both answers are of the same moment."""
        with self._lock:
            live = self.pending.tx_id if self.state == TerminalState.PROCESSING and self.pending else ""
            return read(live)

    def cancel(self, tx_id: str | None = None) -> bool:
        """Abort a sale still waiting for its scan (nothing was sent). False if none matches."""
        with self._lock:
            if self.state != TerminalState.AWAITING_SCAN or self.pending is None:
                return False
            if tx_id is not None and tx_id != self.pending.tx_id:
                return False
            tx = self.pending.tx_id
            self.pending = None
            self._set(TerminalState.IDLE, tx, aborted=True)
            self._done.notify_all()
            return True

    def acknowledge(self) -> None:
        """The cashier leaves the result screen: ready for the next sale."""
        with self._lock:
            if self.state == TerminalState.RESULT:
                self._set(TerminalState.IDLE, self.result.id if self.result else "")

    def wait(self, timeout_s: float) -> Transaction | None:
        """Block until the current sale has a result (tests, rig clients); None on timeout."""
        with self._lock:
            self._done.wait_for(lambda: self.state != TerminalState.PROCESSING, timeout=timeout_s)
            return self.result
