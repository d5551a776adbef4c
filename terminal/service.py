"""The Terminal face: what the CLI, the touchscreen app, the control API and the fleet agent call.

It owns the money operations (sale, void, refund, batch close, recovery), one at a time, the
recovery gate (no new sale while anything is unresolved) and the till's lock. Everything else a
front end needs is a small sub-face with intent methods, each in its own module:

    terminal.receipts  receipt_desk.py  slips: due?, text, print, e-mail
    terminal.access    access.py        PINs and manager authorisation
    terminal.events    event_hub.py     the ordered event stream (subscribe, catch up)
    terminal.notices   notices.py       open payments and outcomes nobody has seen
    terminal.audit     audit.py         who did what
    terminal.settings  settings.py      the few settings front ends read (frozen)
    terminal.upkeep    upkeep.py        link probe, key rotation, journal health, control token

The collaborators (journal, acquirer client, PIN vault, printer, configuration) are private:
tests/test_narrow_face.py keeps the front ends on this face.
"""
from __future__ import annotations

from collections.abc import Callable

from .access import Access
from .audit import AuditTrail
from .batch import BatchCloser, BatchReport
from .codes import PaymentCode
from .config import Config
from .errors import BusinessError
from .event_hub import EventFeed, EventHub
from .health import PendingSummary, TerminalHealth, printer_health
from .journal import Journal
from .money import Money, parse_amount
from .notices import OutcomeNotices
from .operations import AcceptedCode, MoneyOperations, SaleInProgress
from .payments import PaymentService
from .pins import PinVault
from .printing import ReceiptPrinter
from .receipt_desk import ReceiptDesk
from .records import Refund, Transaction
from .recovery import OnItem
from .refund_reasons import RefundReason
from .refunds import RefundService
from .resolution import Resolver
from .sale_rules import SaleRequest, SaleRules
from .settings import Settings
from .upkeep import Surroundings, Upkeep

__all__ = ["AcceptedCode", "SaleInProgress", "Terminal"]


class Terminal:
    def __init__(self, *, config: Config, journal: Journal, payments: PaymentService, resolver: Resolver,
                 refunds: RefundService, batches: BatchCloser, pins: PinVault, receipts: ReceiptPrinter,
                 surroundings: Surroundings | None = None, on_close: Callable[[], None] | None = None,
                 settings: Settings | None = None):
        self._around = surroundings or Surroundings()
        self._config = config
        self._journal = journal
        self._payments = payments
        self._batches = batches
        self._rules = SaleRules.from_config(config.terminal)
        self._faults: list[str] = []
        self._locked = ""        # a reason while the till is locked (fleet lock command): no new sale
        self._ops = MoneyOperations(journal=journal, payments=payments, resolver=resolver, refunds=refunds,
                                    batches=batches, window_s=config.acquirer.inquiry_window_s,
                                    sale_gate=self._may_sell)
        self._hub = EventHub()
        self._on_close = on_close
        self._settings = settings or Settings.from_config(config)
        self._audit = AuditTrail(journal)
        self._receipts = ReceiptDesk(printer=receipts, email=config.email, state_dir=config.state_dir(),
                                     merchant_name=config.merchant.name)
        self._access = Access(pins=pins, audit=self._audit)
        self._events = EventFeed(hub=self._hub, journal=journal)
        self._notices = OutcomeNotices(journal=journal)
        self._upkeep = Upkeep(around=self._around, journal=journal, config=config, between_payments=self._ops.exclusive)
        journal.subscribe(self._hub.emit)

    # -- sub-faces (see the module docstring) -------------------------------------------------
    @property
    def receipts(self) -> ReceiptDesk:
        return self._receipts

    @property
    def access(self) -> Access:
        return self._access

    @property
    def events(self) -> EventFeed:
        return self._events

    @property
    def notices(self) -> OutcomeNotices:
        return self._notices

    @property
    def audit(self) -> AuditTrail:
        return self._audit

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def upkeep(self) -> Upkeep:
        return self._upkeep

    # -- faults and the till's lock -----------------------------------------------------------
    @property
    def faults(self) -> tuple[str, ...]:
        """Fault codes recorded since the start (e.g. JOURNAL_WRITE_FAILED), oldest first."""
        return tuple(self._faults)

    def record_fault(self, code: str) -> None:
        if code not in self._faults:
            self._faults.append(code)
        self._journal.note("", "fault", code=code)

    @property
    def locked(self) -> str:
        """Why the till is locked ("" while it is not)."""
        return self._locked

    def lock(self, reason: str) -> None:
        """Refuse new sales (voids, refunds and recovery go on) until unlock()."""
        self._locked = reason or "locked"

    def unlock(self) -> None:
        self._locked = ""

    def is_idle(self) -> bool:
        """No money operation in flight and nothing unresolved: a restart now interrupts nothing."""
        return not self._ops.busy() and not self.has_pending()

    # -- queries ----------------------------------------------------------------------------
    def parse_amount(self, text: str, currency: str | None = None) -> Money:
        """Typed text as Money in `currency` (default: terminal.currency); the sale rules
        (enabled currencies, the maximum) are `sale_request`'s business."""
        return parse_amount(text, currency or self._settings.currency)

    def get(self, tx_id: str) -> Transaction:
        return self._journal.get(tx_id)

    def transactions(self, *, since: str | None = None, limit: int = 200) -> list[Transaction]:
        return self._journal.transactions(since=since, limit=limit)

    def search_history(self, query):
        """terminal.history.HistoryQuery -> HistoryResult (matches newest first, totals of all)."""
        return self._journal.search(query)

    def find_sale(self, idempotency_key: str) -> Transaction | None:
        """The journalled sale of this idempotency key, if any (looked up once, by the checkout)."""
        return self._journal.find(idempotency_key=idempotency_key)

    def has_pending(self) -> bool:
        return self._ops.recovery.has_pending()

    def pending(self) -> tuple[list[Transaction], list[Refund]]:
        """What is unresolved: payments not final (oldest first) and refunds not confirmed."""
        return self._journal.pending(), self._journal.pending_refunds()

    def pending_summary(self) -> PendingSummary:
        payments, refunds = self.pending()
        return PendingSummary(payments=len(payments), refunds=len(refunds))

    def health(self) -> TerminalHealth:
        """The one health policy (health.py): the technician screen, /v1/status and the fleet
        status all read this, so they never disagree."""
        status, message = self._receipts.printer_status()
        return TerminalHealth(printer=printer_health(self._settings.printer_kind, status, message),
                              pending=self.pending_summary(), faults=list(self._faults))

    def link_state(self) -> str:
        """ONLINE | OFFLINE | UNKNOWN, from real traffic and the probe."""
        link = self._around.connectivity
        return link.state if link is not None else "UNKNOWN"

    def refuse_if_unreachable(self) -> None:
        """A sale is refused before anything is journalled or sent when the acquirer is known
        to be unreachable (AcquirerUnreachable: not charged)."""
        if self._around.connectivity is not None:
            self._around.connectivity.refuse_if_unreachable()

    # -- sales ------------------------------------------------------------------------------
    def sale_request(self, amount: Money, *, tip: Money | None = None, reference: str = "",
                     idempotency_key: str | None = None) -> SaleRequest:
        """The sale rules (sale_rules.py), applied once: a refusal changes nothing."""
        return self._rules.request(amount, tip=tip, reference=reference, idempotency_key=idempotency_key)

    def accept_code(self, code: str | PaymentCode) -> AcceptedCode:
        """A scanned string (or a parsed code) as one this terminal may charge: recognised (else
        PaymentCodeError, nothing written) and not used within the reuse window (a double scan)."""
        return self._ops.accept_code(code)

    def sale(self, sale: SaleRequest | Money, code: str | PaymentCode | AcceptedCode, *, tip: Money | None = None,
             reference: str = "", idempotency_key: str | None = None, tx_id: str | None = None) -> Transaction:
        """One sale, blocking until a final state (or a cancel still queued: exit 4).

        `sale`: a SaleRequest from `sale_request`, or an amount (the rules are applied here).
        `code`: the scanned text or a parsed code (the reuse check runs here, after recovery), or
        an AcceptedCode from `accept_code` (checked there: not again).
        """
        request = sale if isinstance(sale, SaleRequest) else self.sale_request(
            sale, tip=tip, reference=reference, idempotency_key=idempotency_key)
        return self._ops.sale(request, code, tx_id=tx_id)

    def _may_sell(self) -> None:
        if self._locked:
            raise BusinessError(f"the till is locked ({self._locked}): ask the fleet operator to unlock it",
                                code="LOCKED")
        self.refuse_if_unreachable()

    # -- voids, refunds, batch, recovery ----------------------------------------------------
    def void(self, tx_id: str) -> Transaction:
        """An approved payment cancelled in full (within the acquirer's void window)."""
        return self._ops.void(tx_id)

    def refund(self, tx_id: str, amount: Money | None = None, *, pin: str | None = None,
               owner_pin: str | None = None, reason: RefundReason | None = None) -> Refund:
        """A manager action (`access.authorize_manager`). `reason`: why the customer is refunded
        (refund_reasons.refund_reason parses what a front end received, before the PIN is tried);
        journalled, printed, sent as refundReason."""
        self._access.authorize_manager(pin, owner_pin=owner_pin, action="refund", tx_id=tx_id)
        return self._ops.refund(tx_id, amount, reason=reason)

    def batch_summary(self) -> dict:
        return self._batches.summary()

    def close_batch(self, *, allow_empty: bool = True) -> BatchReport:
        """Unresolved payments are resolved first; then the batch is reconciled with the acquirer."""
        return self._ops.close_batch(allow_empty=allow_empty)

    def last_closed_batch(self) -> dict | None:
        """The most recent closed batch (id, closed_at, report), or None."""
        return next((b for b in self._journal.batches(limit=2) if b.get("state") == "CLOSED"), None)

    def recover(self, *, on_item: OnItem | None = None) -> list[Transaction]:
        """Resolve every non-final transaction and pending refund (at start, and `recover`)."""
        return self._ops.recover(on_item=on_item)

    def start_background_resolution(self, interval_s: float | None = None) -> None:
        """For long-running processes (app, control server): a queued cancel or an unconfirmed
        refund keeps being retried between sales, not only when the next sale starts."""
        if (self._ops.recovery.start_background(interval_s or self._config.acquirer.inquiry_interval_s)
                and self._around.rotation is not None):
            self._around.rotation.start()    # an unfinished key rotation is resumed at start

    # -- shutting down ------------------------------------------------------------------------
    def stop_waiting(self) -> None:
        """Cut short the waits of an operation in flight (inquiry schedule, cancel backoff): the
        process is going down; what stays unresolved is resolved at the next start."""
        self._ops.stop_waiting()

    def close(self) -> None:
        """Stop waiting (schedules, backoff); give an operation in flight a short grace (what it
        leaves unresolved is resolved at the next start); then the journal; then devices, the
        embedded sandbox and the owner lock (operations.MoneyOperations.close)."""
        rotation = self._around.rotation
        self._ops.close(self._on_close or (lambda: None), also_stop=(rotation.stop,) if rotation is not None else ())
