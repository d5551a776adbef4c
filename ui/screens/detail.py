"""Transaction detail with its refunds; void and refund behind the manager PIN; reprint."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty, StringProperty

from terminal.money import Money
from terminal.records import Transaction

from ..outcome import outcome_of
from .base import PosScreen
from .history import when_text

if TYPE_CHECKING:
    from drivers.printers import PrintResult

REFUNDABLE = {"APPROVED", "PARTIALLY_REFUNDED"}


class DetailScreen(PosScreen):
    tx_id = StringProperty("")
    body = StringProperty("")
    message = StringProperty("")
    message_level = StringProperty("info")
    can_void = BooleanProperty(False)
    can_refund = BooleanProperty(False)
    can_reprint = BooleanProperty(False)
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tx: Transaction | None = None
        self.back_to = "history"
        self._message: tuple[str, dict] = ("", {})

    def prepare(self, tx_id: str = "", message: tuple[str, dict] | None = None, level: str = "info",
                back: str | None = None, **_kw: Any) -> None:
        tx_id = tx_id or self.tx_id      # no id: the transaction already shown, reloaded
        if back is not None:
            self.back_to = back
        elif tx_id != self.tx_id:
            self.back_to = "history"
        if tx_id != self.tx_id:
            self.tx = None
            self.body = ""
        self.tx_id = tx_id
        self._message, self.message_level = message or ("", {}), level
        self.refresh()
        self.reload()

    def reload(self) -> None:
        self.app.worker.run(self.app.terminal.get, self.tx_id, on_done=self._loaded)

    def _loaded(self, tx: Transaction) -> None:
        self.tx = tx
        self.refresh()

    def refresh(self) -> None:
        msgid, values = self._message
        self.message = self.t(msgid, **values) if msgid else ""
        tx = self.tx
        if tx is None:       # loading: no action on the transaction shown before (or on none)
            self.can_void = self.can_refund = self.can_reprint = False
            return
        state = tx.state.value
        self.can_void = state == "APPROVED" and not tx.refunds
        self.can_refund = state in REFUNDABLE and self.remaining(tx).minor > 0
        self.can_reprint = True
        o = outcome_of(tx)
        lines = [f"[b]{self.t(state)}[/b]   {self.app.money(tx.amount)}"]
        if tx.tip_minor:
            lines.append(self.t("Tip") + f": {self.app.money(Money(tx.currency, tx.tip_minor))}")
        lines += [self.t("Date") + f": {when_text(tx.created_at, self.app.lang)}",
                  self.t("Wallet") + f": {tx.wallet or '—'}   {tx.masked_code}",
                  self.t("Result") + f": {tx.result_code or '—'}"]
        if o.reason:
            lines.append(self.t(o.reason))
        if o.customer_amount is not None:
            lines.append(self.t("Customer pays %(amount)s (rate %(rate)s)", amount=self.app.money(o.customer_amount),
                                rate=o.rate))
        if tx.payment_id:
            lines.append(self.t("Payment ID") + f": {tx.payment_id}")
        if tx.refunds:
            lines.append("")
            lines.append("[b]" + self.t("Refunds") + "[/b]")
            for r in tx.refunds:
                lines.append(f"  {when_text(r.created_at, self.app.lang)}  {self.app.money(r.amount)}  "
                             f"{self.t(r.state)}")
            lines.append(self.t("Left to refund") + f": {self.app.money(self.remaining(tx))}")
        self.body = "\n".join(lines)

    def remaining(self, tx: Transaction | None = None) -> Money:
        """What is left to refund of ``tx`` (default: the transaction shown)."""
        tx = tx or self.shown()
        return tx.amount - tx.refunded()

    def shown(self) -> Transaction:
        """The loaded transaction; the actions are disabled until there is one."""
        if self.tx is None:
            raise LookupError(f"transaction {self.tx_id or '(none)'} is not loaded yet")
        return self.tx

    def say(self, msgid: str, level: str = "info", **values: Any) -> None:
        self._message, self.message_level = (msgid, values), level
        self.refresh()

    # -- actions --------------------------------------------------------------------------
    def void(self) -> None:
        tx_id, terminal, shown = self.tx_id, self.app.terminal, self.shown()

        def action(pin: str, as_owner: bool) -> tuple[Transaction, PrintResult | None]:   # worker thread
            terminal.access.authorize_manager(None if as_owner else pin, owner_pin=pin if as_owner else None,
                                       action="void", tx_id=tx_id)
            tx = terminal.void(tx_id)
            # the void slip, as the CLI and the control API print it (the core's receipt policy)
            return tx, terminal.receipts.print(tx) if terminal.receipts.due(tx) else None

        def voided(result: tuple[Transaction, PrintResult | None]) -> None:
            _tx, printed = result
            if printed is not None:
                self.app.show_print_result(printed)
            self.app.go("detail", tx_id=tx_id, message=("Voided: the customer was not charged.", {}))
        self.app.screens["pin"].ask(role="manager", title=self.t("Void %(amount)s · %(code)s", amount=self.app.money(shown.amount),
                                                                code=shown.masked_code),
                                    action=action,
                                    on_success=voided, on_error=self._failed, back="detail")

    def go_back(self) -> None:
        self.app.go(self.back_to, reset=False)

    def refund(self) -> None:
        tx = self.shown()
        self.app.go("refund", tx=tx, remaining=self.remaining(tx))

    def _failed(self, exc: BaseException) -> None:
        self.app.go("detail", tx_id=self.tx_id, message=(getattr(exc, "message", "") or "Something went wrong.", {}),
                    level="error")

    def reprint(self) -> None:
        tx = self.shown()
        self.busy = True
        self.app.worker.run(self.app.terminal.receipts.print, tx, copy=True, on_done=self._printed,
                            on_error=lambda _e: self._printed(None))

    def _printed(self, result: PrintResult | None) -> None:
        self.busy = False
        self.app.show_print_result(result)
        if result is not None and result.printed:
            self.say("Copy printed.")
        else:
            self.say("Not printed: check the printer.", "error")


SCREEN = DetailScreen
