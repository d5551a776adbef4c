"""The Terminal service object: what the CLI, the touchscreen app and the control API call.

It owns the sale/void/refund/batch operations, one sale at a time, the recovery gate (no new
sale while anything is unresolved) and the event fan-out (journal events + progress).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .audit import AuditTrail
from .batch import BatchCloser, BatchReport
from .codes import PaymentCode, parse_payment_code
from .config import Config
from .errors import BusinessError, FaultError, UnknownResultError
from .event_hub import EventHub
from .health import PendingSummary, TerminalHealth, printer_health
from .journal import Journal
from .money import Money, parse_amount
from .notices import OutcomeNotices
from .oplog import operation
from .outcome import receipt_due
from .payments import PaymentService
from .pins import PinVault
from .printing import ReceiptPrinter
from .records import REFUND_PENDING, Refund, Transaction
from .recovery import Recovery
from .refund_reasons import RefundReason
from .refunds import RefundService
from .resolution import Progress, Resolver
from .sale_rules import SaleRequest, SaleRules
from .states import TxState

if TYPE_CHECKING:
    from drivers.printers import PrintResult

log = logging.getLogger("terminal.service")
S = TxState
Listener = Callable[[dict], None]
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


@dataclass(frozen=True)
class Surroundings:
    """What the builder (wiring.py) gives a running terminal besides its money collaborators,
    declared here instead of set on the object afterwards. All optional: a terminal built for a
    test or a tool has none of them."""

    keystore: Any = None          # KeyStore: the control token
    client: Any = None            # AcquirerClient: the live link (diagnostics, fleet key rotation)
    sandbox: Any = None           # the embedded sandbox acquirer (demo and rig profiles only)
    connectivity: Any = None      # Connectivity: ONLINE/OFFLINE from real traffic and the probe
    rotation: Any = None          # RotationKeeper on a provisioned terminal
    owner_lock: Any = None        # the state directory's owner lock, held for the terminal's life
    liveness: Any = None          # Liveness: heartbeats the systemd watchdog checks
    use_credentials: Callable[[Any], None] | None = None   # switch the signing key (a rotation)


class Terminal:
    def __init__(self, *, config: Config, journal: Journal, payments: PaymentService, resolver: Resolver,
                 refunds: RefundService, batches: BatchCloser, pins: PinVault, receipts: ReceiptPrinter,
                 surroundings: Surroundings | None = None, on_close: Callable[[], None] | None = None,
                 info: dict[str, Any] | None = None):
        self._around = surroundings or Surroundings()
        self.config = config
        self._journal = journal
        self._payments = payments
        self._resolver = resolver
        self._refunds = refunds
        self._batches = batches
        self._pins = pins
        self._receipts = receipts
        self.mailer: Any = None   # email_receipts.ReceiptMailer, made on first use
        self.info = info or {}
        self._notices = OutcomeNotices(journal=journal)
        self._audit = AuditTrail(journal)
        self.rules = SaleRules.from_config(config.terminal)
        self.faults: list[str] = []
        self.locked = ""        # a reason while the till is locked (fleet lock command): no new sale
        # One money-moving operation at a time (sale, void, refund, batch close, recovery), so
        # two threads never drive the same payment's cancel or refund concurrently.
        self._sale_lock = threading.Lock()
        self._events = EventHub()
        self._on_close = on_close
        self._recovery = Recovery(journal=journal, resolver=resolver, refunds=refunds,
                                  window_s=config.acquirer.inquiry_window_s, progress=self._progress,
                                  operation_lock=self._sale_lock)
        journal.subscribe(self._events.emit)

    # -- what the builder gave it (read-only) -------------------------------------------------
    @property
    def client(self):
        return self._around.client

    @property
    def sandbox(self):
        """The embedded sandbox acquirer (demo and rig profiles), else None."""
        return self._around.sandbox

    @property
    def connectivity(self):
        return self._around.connectivity

    @property
    def rotation(self):
        return self._around.rotation

    @property
    def keystore(self):
        return self._around.keystore

    @property
    def owner_lock(self):
        return self._around.owner_lock

    @property
    def liveness(self):
        return self._around.liveness

    def use_credentials(self, credentials) -> None:
        """Sign with these credentials from now on (a key rotation confirmed by the acquirer)."""
        if self._around.use_credentials is None:
            raise FaultError("this terminal has no signing key to switch", code="NOT_PROVISIONED")
        self._around.use_credentials(credentials)

    def control_token(self, *, create: bool = True) -> str:
        """The control API's bearer token (state directory, mode 0600)."""
        return self._around.keystore.control_token(create=create)

    def control_token_path(self) -> str:
        return str(self._around.keystore.path("control_token"))

    def sandbox_access(self) -> dict | None:
        """The embedded sandbox's admin API (fault switches) for rigs; None on a real acquirer."""
        sandbox = self._around.sandbox
        if sandbox is None:
            return None
        return {"adminUrl": sandbox.admin_url, "caBundle": str(sandbox.ca_bundle_path)}

    # -- events -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Every journal event, in order (event_hub.py); returns the unsubscribe function."""
        return self._events.subscribe(listener)

    def _progress(self, p: Progress) -> None:
        """Journalled like every event, so the UI and SSE clients see one ordered stream."""
        self._journal.note(p.tx_id, "progress", phase=p.phase, attempt=p.attempt, elapsedS=round(p.elapsed_s, 3))

    def note_checkout(self, tx_id: str, state: str, **detail: Any) -> None:
        """The checkout's state, as an event in the one ordered stream (no money moves: committed
        without fsync; the next money commit makes it durable)."""
        self._journal.note(tx_id, "checkout", state=state, durable=False, **detail)

    def note_scan_rejected(self, tx_id: str, reason: str) -> None:
        """A scan that is not a payment code, while a sale waits: the reason only, never the text."""
        self._journal.note(tx_id, "scan_rejected", reason=reason)

    @property
    def audit(self) -> AuditTrail:
        """Who did what (technician, fleet, owner overrides): `record(actor, action, ...)`, `entries()`."""
        return self._audit

    def record_fault(self, code: str) -> None:
        if code not in self.faults:
            self.faults.append(code)
        self._journal.note("", "fault", code=code)

    # -- queries ----------------------------------------------------------------------------
    def parse_amount(self, text: str, currency: str | None = None) -> Money:
        """Typed text as Money in `currency` (default: terminal.currency); the sale rules
        (enabled currencies, the maximum) are `sale_request`'s business."""
        return parse_amount(text, currency or self.config.terminal.currency)

    def get(self, tx_id: str) -> Transaction:
        return self._journal.get(tx_id)

    def transactions(self, *, since: str | None = None, limit: int = 200) -> list[Transaction]:
        return self._journal.transactions(since=since, limit=limit)

    def search_history(self, query):
        """terminal.history.HistoryQuery -> HistoryResult (matches newest first, totals of all)."""
        return self._journal.search(query)

    def has_pending(self) -> bool:
        return self._recovery.has_pending()

    def lock(self, reason: str) -> None:
        """Refuse new sales (voids, refunds and recovery go on) until unlock()."""
        self.locked = reason or "locked"

    def unlock(self) -> None:
        self.locked = ""

    def find_sale(self, idempotency_key: str) -> Transaction | None:
        """The journalled sale of this idempotency key, if any (looked up once, by the checkout)."""
        return self._journal.find(idempotency_key=idempotency_key)

    # -- operations -------------------------------------------------------------------------
    def sale_request(self, amount: Money, *, tip: Money | None = None, reference: str = "",
                     idempotency_key: str | None = None) -> SaleRequest:
        """The sale rules (sale_rules.py), applied once: a refusal changes nothing."""
        return self.rules.request(amount, tip=tip, reference=reference, idempotency_key=idempotency_key)

    def accept_code(self, code: str | PaymentCode) -> AcceptedCode:
        """A scanned string (or a parsed code) as one this terminal may charge: recognised (else
        PaymentCodeError, nothing written) and not used within the reuse window (a double scan)."""
        parsed = parse_payment_code(code) if isinstance(code, str) else code
        try:
            self._payments.refuse_reused(parsed)
        except BaseException:
            parsed.drop()
            raise
        return AcceptedCode(parsed)

    def sale(self, sale: SaleRequest | Money, code: str | PaymentCode | AcceptedCode, *, tip: Money | None = None,
             reference: str = "", idempotency_key: str | None = None, tx_id: str | None = None) -> Transaction:
        """One sale, blocking until a final state (or a cancel still queued: exit 4).

        `sale`: a SaleRequest from `sale_request`, or an amount (the rules are applied here).
        `code`: the scanned text or a parsed code (the reuse check runs here, after recovery), or
        an AcceptedCode from `accept_code` (checked there: not again).
        """
        request = sale if isinstance(sale, SaleRequest) else self.sale_request(
            sale, tip=tip, reference=reference, idempotency_key=idempotency_key)
        accepted = isinstance(code, AcceptedCode)
        # a bad scan is refused here, before anything is written
        if isinstance(code, AcceptedCode):
            parsed = code.code
        elif isinstance(code, str):
            parsed = parse_payment_code(code)
        else:
            parsed = code
        try:
            if self.locked:
                raise BusinessError(f"the till is locked ({self.locked}): ask the fleet operator to unlock it",
                                    code="LOCKED")
            self.refuse_if_unreachable()
            if not self._sale_lock.acquire(blocking=False):
                raise SaleInProgress("the terminal is busy with another payment (a sale, or an earlier payment "
                                     "being resolved): wait for it, then try again")
            try:
                if self.has_pending():    # asked once per sale; again only after a recovery
                    self._recover()
                    if self.has_pending():
                        raise UnknownResultError(
                            "earlier payments are still unresolved: the acquirer is not reachable; check the "
                            "network; the running terminal keeps trying in the background (if none is running, "
                            "`pos-terminal recover` resolves them)")
                if not accepted:
                    self._payments.refuse_reused(parsed)
                tx = self._payments.sale(request, parsed, progress=self._progress, tx_id=tx_id)
                operation("sale", tx)
                return tx
            finally:
                self._sale_lock.release()
        except Exception as exc:
            operation("sale", error=exc, txId=tx_id, maskedCode=parsed.masked, amount=request.total.to_api())
            raise
        finally:
            parsed.drop()

    @contextlib.contextmanager
    def _exclusive(self):
        if not self._sale_lock.acquire(timeout=OPERATION_WAIT_S):
            raise SaleInProgress("the terminal is busy with another payment: try again in a moment")
        try:
            yield
        finally:
            self._sale_lock.release()

    def void(self, tx_id: str) -> Transaction:
        try:
            with self._exclusive():
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
        tx = self._resolver.cancel(tx, deadline_s=self.config.acquirer.inquiry_window_s, progress=self._progress)
        if tx.state == S.APPROVED:
            raise BusinessError("the void window has passed (CANCEL_WINDOW_EXCEED): refund the payment instead",
                                code="CANCEL_WINDOW_EXCEED")
        if tx.state == S.CANCEL_PENDING:
            raise UnknownResultError(f"void of {tx_id} queued: the acquirer has not confirmed it yet; "
                                     "the running terminal keeps trying in the background (if none is running, `pos-terminal recover` does it)")
        return tx

    def authorize_manager(self, pin: str | None = None, *, owner_pin: str | None = None, action: str = "",
                          tx_id: str = "") -> str:
        """A manager action (void, refund): the manager PIN, or the owner PIN as an override
        (e.g. while the manager PIN is locked; it has its own limit). Returns "manager" or
        "owner"; an owner override is written to the audit trail."""
        who = self._pins.authorize("manager", pin, override_pin=owner_pin)
        if who != "manager":
            self._audit.record(who, "pin_override", operation=action, txId=tx_id)
        return who

    def refund(self, tx_id: str, amount: Money | None = None, *, pin: str | None = None,
               owner_pin: str | None = None, reason: RefundReason | None = None) -> Refund:
        """`reason`: why the customer is refunded (refund_reasons.refund_reason parses what a front
        end received, before the PIN is tried); journalled, printed, sent as refundReason."""
        self.authorize_manager(pin, owner_pin=owner_pin, action="refund", tx_id=tx_id)
        try:
            with self._exclusive():
                refund = self._refunds.refund(tx_id, amount, reason=reason,
                                              deadline_s=self.config.acquirer.inquiry_window_s)
        except Exception as exc:
            operation("refund", error=exc, txId=tx_id, amount=amount.to_api() if amount else None)
            raise
        operation("refund", refund)
        return refund

    def batch_summary(self) -> dict:
        return self._batches.summary()

    def close_batch(self, *, allow_empty: bool = True) -> BatchReport:
        try:
            with self._exclusive():
                if self.has_pending():
                    self._recover()
                report = self._batches.close(allow_empty=allow_empty)
        except Exception as exc:
            operation("batch_close", error=exc)
            raise
        operation("batch_close", batchId=report.batch_id, matched=report.matched, totals=report.totals)
        return report

    def recover(self, *, on_item: Callable[[str, Transaction | Refund], None] | None = None) -> list[Transaction]:
        """Resolve every non-final transaction and pending refund (at start, and `recover`)."""
        with self._exclusive():
            return self._recover(on_item=on_item)

    def _recover(self, *, on_item: Callable[[str, Transaction | Refund], None] | None = None) -> list[Transaction]:
        return self._recovery.run(on_item=on_item)

    def start_background_resolution(self, interval_s: float | None = None) -> None:
        """For long-running processes (app, control server): a queued cancel or an unconfirmed
        refund keeps being retried between sales, not only when the next sale starts."""
        if (self._recovery.start_background(interval_s or self.config.acquirer.inquiry_interval_s)
                and self.rotation is not None):
            self.rotation.start()    # an unfinished key rotation is resumed at start

    def refuse_if_unreachable(self) -> None:
        """A sale is refused before anything is journalled or sent when the acquirer is known
        to be unreachable (AcquirerUnreachable: not charged)."""
        if self.connectivity is not None:
            self.connectivity.refuse_if_unreachable()

    def link_state(self) -> str:
        """ONLINE | OFFLINE | UNKNOWN, from real traffic and the probe."""
        return self.connectivity.state if self.connectivity is not None else "UNKNOWN"

    # -- intent methods for the front ends (UI, CLI, control API, fleet agent) -------------
    def health(self) -> TerminalHealth:
        """The one health policy (health.py): the technician screen, /v1/status and the fleet
        status all read this, so they never disagree."""
        status, message = self._receipts.health()
        return TerminalHealth(printer=printer_health(self.config.printer.kind, status, message),
                              pending=self.pending_summary(), faults=list(self.faults))

    def pending(self) -> tuple[list[Transaction], list[Refund]]:
        """What is unresolved: payments not final (oldest first) and refunds not confirmed."""
        return self._journal.pending(), self._journal.pending_refunds()

    def pending_summary(self) -> PendingSummary:
        return PendingSummary(payments=len(self._journal.pending()), refunds=len(self._journal.pending_refunds()))

    def journal_integrity(self) -> str:
        """SQLite's integrity_check: "ok", or what is damaged."""
        return self._journal.integrity_check()

    def check_journal(self) -> None:
        """A real query under the journal's lock (the systemd watchdog): raises when the
        journal does not answer, the failure that needs a restart."""
        self._journal.events_since(2**62, limit=1)

    def last_closed_batch(self) -> dict | None:
        """The most recent closed batch (id, closed_at, report), or None."""
        return next((b for b in self._journal.batches(limit=2) if b.get("state") == "CLOSED"), None)

    def last_event_seq(self) -> int:
        return self._journal.last_seq()

    def events_since(self, seq: int, limit: int = 1000) -> list[dict]:
        """Journalled events after `seq`, oldest first (an SSE client catching up)."""
        return self._journal.events_since(seq, limit)

    def receipt_due(self, tx: Transaction) -> bool:
        """The receipt policy (outcome.py): a slip after a captured sale and after a void."""
        return receipt_due(tx)

    def receipt_text(self, tx: Transaction, locale: str | None = None) -> str:
        """The customer slip as plain text (the touchscreen's preview)."""
        from drivers.printers.text_render import render_text

        return render_text(self._receipts.builder.sale(tx, locale=locale))

    def email_receipt(self, tx: Transaction, to: str, *, locale: str | None = None) -> None:
        """The customer slip by email (text and HTML) through config [email]; EmailError or
        InputError when not sent. Slow: call it off the UI thread; the sale is already final."""
        from .email_receipts import ReceiptMailer

        if self.mailer is None:
            self.mailer = ReceiptMailer(self.config.email, state_dir=self.config.state_dir())
        slip = self.receipt_text(tx, locale)
        subject = f"{self.config.merchant.name}: receipt {tx.amount.plain()} {tx.currency}"
        self.mailer.send(slip=slip, subject=subject, to=to)

    def print_receipt(self, tx: Transaction, *, copy: bool = False, locale: str | None = None) -> PrintResult:
        """The sale (or void) slip; a printer problem comes back in the result, never raised."""
        return self._receipts.sale(tx, copy=copy, locale=locale)

    def print_refund_receipt(self, tx: Transaction, refund: Refund, *, copy: bool = False) -> PrintResult:
        return self._receipts.refund(tx, refund, copy=copy)

    def print_test(self, *, locale: str | None = None) -> PrintResult:
        """A test slip through the configured printer (technician screen, `print-test`)."""
        return self._receipts.test_print(locale=locale)

    def print_batch_report(self, report: BatchReport | dict) -> PrintResult:
        return self._receipts.batch(report.to_api() if isinstance(report, BatchReport) else report)

    def check_pin(self, role: str, pin: str) -> None:
        """WrongPin / PinLocked (pins.py) unless `pin` is `role`'s PIN."""
        self._pins.check(role, pin)

    def pin_locked_for(self, role: str) -> float:
        """Seconds until `role`'s PIN may be tried again (0: not locked)."""
        return self._pins.locked_for(role)

    # -- open payments and outcomes nobody has seen (the till's indicator and notices) -------
    def open_payments(self) -> list[Transaction]:
        return self._notices.open_payments()

    def unseen_outcomes(self) -> list[Transaction]:
        return self._notices.unseen()

    def mark_outcome_seen(self, tx_id: str) -> None:
        self._notices.mark_seen(tx_id)

    def pending_refund_count(self) -> int:
        return sum(1 for r in self._journal.pending_refunds() if r.state == REFUND_PENDING)

    def stop_waiting(self) -> None:
        """Cut short the waits of an operation in flight (inquiry schedule, cancel backoff): the
        process is going down; what stays unresolved is resolved at the next start."""
        self._resolver.stop()

    def close(self) -> None:
        """Stop waiting (schedules, backoff); give an operation in flight CLOSE_GRACE_S to finish,
        and no more: an acquirer request that hangs must not hold the app open. Then the journal,
        under its lock (a write in progress commits first; a late writer gets JOURNAL_CLOSED,
        and the payment it was writing stays CREATED/SENT/UNKNOWN for the inquiry at the next
        start); then devices, the embedded sandbox and the owner lock, which is released only
        once nothing here can write."""
        self._recovery.stop()
        self._resolver.stop()
        if self.rotation is not None:
            self.rotation.stop()
        idle = self._sale_lock.acquire(timeout=CLOSE_GRACE_S)
        try:
            if not idle:
                log.warning("closing with an operation in flight: the next start resolves it")
            self._recovery.join(timeout_s=CLOSE_GRACE_S if idle else 0)
            self._journal.close()
            if self._on_close:
                self._on_close()
        finally:
            if idle:
                self._sale_lock.release()
