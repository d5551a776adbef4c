"""The till's watch on payments that are not final yet, and on outcomes nobody has seen.

The count feeds the sale screen's always-visible indicator and the open-payments list; an
outcome nobody has seen (``terminal.notices.unseen``: journalled, so it survives a restart)
becomes a notice banner with a Receipt button, until the cashier dismisses it, which journals
it as seen. Reads run on the worker, coalesced after journal state changes.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kivy.clock import Clock

from . import i18n
from .outcome import outcome_of

if TYPE_CHECKING:
    from terminal.records import Transaction

    from .app import PosApp

log = logging.getLogger("ui.open_payments")
NOTICE = "ended-"


class PaymentWatch:
    def __init__(self, *, app: PosApp):
        self.app = app
        self.open: list = []
        self._noticed: set[str] = set()
        self._trigger = Clock.create_trigger(lambda _dt: self.refresh(), 0.15)

    def changed(self) -> None:
        """A transaction changed state somewhere: read again soon (coalesced)."""
        self._trigger()

    def refresh(self) -> None:
        self.app.worker.run(self._read, on_done=self._show, on_error=self._failed)

    def _read(self) -> tuple[list, list, str]:   # worker thread
        terminal = self.app.terminal
        # The sale being charged is read in the same moment as the journal (see
        # Checkout.read_with_live_sale): its outcome is the checkout's to show, never a notice.
        return self.app.checkout.read_with_live_sale(
            lambda live: (terminal.notices.open_payments(), terminal.notices.unseen(), live))

    def _failed(self, exc: BaseException) -> None:
        log.warning("open payments not read: %s", getattr(exc, "message", exc))

    def live_tx_id(self) -> str:
        """The sale the checkout is charging right now: its own screens show it."""
        checkout = self.app.checkout
        pending = checkout.pending
        return pending.tx_id if checkout.state.value == "PROCESSING" and pending is not None else ""

    def _on_result_screen(self, tx_id: str) -> bool:
        shown = self.app.screens.built("result")
        return self.app.current == "result" and shown is not None and shown.tx_id == tx_id

    def _show(self, read: tuple[list, list, str]) -> None:
        open_now, unseen, live_then = read
        live = self.live_tx_id()
        self.open = [tx for tx in open_now if tx.id not in (live, live_then)]
        self.app.open_count = len(self.open)
        if not open_now:
            self.app.banners.clear("recovery")      # "earlier payments unresolved" is over
        screen = self.app.screens.built("open")      # built later, it starts from self.open
        if screen is not None:
            screen.show(self.open)
        # Remember only notices whose outcome is still unseen (one id per sale would grow forever).
        self._noticed &= {tx.id for tx in unseen}
        for tx in unseen:
            if tx.id in (live, live_then) or tx.id in self._noticed:
                continue
            if self._on_result_screen(tx.id):    # the result screen updates itself, and marks it seen
                continue
            self._notice(tx)

    def _notice(self, tx: Transaction) -> None:
        self._noticed.add(tx.id)
        outcome = outcome_of(tx)
        approved = outcome.kind == "approved"

        def text() -> str:
            what = i18n._("Approved") if approved else i18n._("Not charged")
            return i18n._("Earlier payment %(amount)s %(code)s: %(outcome)s") % {
                "amount": self.app.money(tx.amount), "code": tx.masked_code, "outcome": what}

        action = None
        if approved:
            action = (lambda: i18n._("Receipt"), lambda: self.app.go("receipt", tx=tx, back=self.app.current))
        self.app.banners.show(NOTICE + tx.id, text, "approved" if approved else "info", action=action,
                              on_dismiss=lambda: self.seen(tx.id))

    def seen(self, tx_id: str) -> None:
        self.app.worker.run(self.app.terminal.notices.mark_seen, tx_id)
