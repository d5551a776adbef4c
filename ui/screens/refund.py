"""Refund amount (prefilled with what is left) and a reason (a preset or "Other" with text),
then the manager PIN; the reason goes to the acquirer as refundReason; the refund slip prints."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from kivy.properties import BooleanProperty, StringProperty

from terminal.money import Money
from terminal.records import Refund, Transaction
from terminal.refund_reasons import PRESETS, refund_reason

from ..widgets.keypad import Keypad  # noqa: F401
from .base import PosScreen

if TYPE_CHECKING:
    from drivers.printers import PrintResult


class RefundScreen(PosScreen):
    tx_id = StringProperty("")
    digits = StringProperty("")
    amount_text = StringProperty("")
    left_text = StringProperty("")
    message = StringProperty("")
    valid = BooleanProperty(False)
    reason = StringProperty("returned")

    # What the acquirer is told (English, its log language), whatever the UI's language.
    REASONS: ClassVar[dict[str, str]] = PRESETS     # terminal/refund_reasons.py: one set for every front end

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tx: Transaction | None = None
        self.remaining: Money | None = None

    def prepare(self, tx: Transaction | None = None, remaining: Money | None = None, **_kw: Any) -> None:
        if tx is None:        # nothing new to refund: keep the refund being prepared
            self.refresh()
            return
        if remaining is None:
            remaining = tx.amount - tx.refunded()
        self.tx, self.remaining = tx, remaining
        self.tx_id = tx.id
        self.digits = str(remaining.minor)
        self.message = ""
        self.reason = "returned"
        if "other_reason" in self.ids:
            self.ids.other_reason.text = ""
        self.refresh()

    def amount(self) -> Money | None:
        if self.tx is None:
            return None
        return Money(self.tx.currency, int(self.digits or "0"))

    def refresh(self) -> None:
        amount, remaining = self.amount(), self.remaining
        if amount is None or remaining is None:
            return
        self.amount_text = self.app.money(amount)
        self.left_text = self.t("Left to refund: %(amount)s", amount=self.app.money(remaining))
        self.valid = 0 < amount.minor <= remaining.minor and bool(self.reason_text())

    def choose_reason(self, key: str) -> None:
        self.reason = key
        self.refresh()

    def reason_text(self) -> str:
        """The refundReason sent: the preset's text, or what was typed under Other (up to 100)."""
        if self.reason == "other":
            typed = " ".join(self.ids.other_reason.text.split()) if "other_reason" in self.ids else ""
            return typed[:100]
        return self.REASONS.get(self.reason, "")

    def on_key(self, key: str) -> None:
        if key == "back":
            self.digits = self.digits[:-1]
        elif len(self.digits + key) <= 9:
            self.digits = (self.digits + key).lstrip("0")
        self.refresh()

    def confirm(self) -> None:
        amount = self.amount()
        if not self.valid or self.tx is None or amount is None:
            return
        tx, terminal = self.tx, self.app.terminal
        code, typed = self.reason, self.reason_text() if self.reason == "other" else ""

        def action(pin: str, as_owner: bool) -> tuple[Refund, PrintResult]:   # worker thread
            reason = refund_reason(code, typed)     # BAD_REASON (e.g. a payment code typed) before the PIN is tried
            refund = terminal.refund(tx.id, amount, pin=None if as_owner else pin,
                                     owner_pin=pin if as_owner else None, reason=reason)
            printed = terminal.receipts.print_refund(terminal.get(tx.id), refund)
            return refund, printed

        def done(result: tuple[Refund, PrintResult]) -> None:
            refund, printed = result
            self.app.show_print_result(printed)
            state = refund.state
            msg = ("Refunded %(amount)s.", {"amount": self.app.money(amount)}) if state == "SUCCESS" else \
                ("Refund %(state)s: the terminal keeps confirming it.", {"state": state})
            self.app.go("detail", tx_id=tx.id, message=msg)

        def failed(exc: BaseException) -> None:
            self.app.go("detail", tx_id=tx.id, message=(getattr(exc, "message", "") or "Refund failed.", {}),
                        level="error")
        self.app.screens["pin"].ask(role="manager", title=self.t("Refund") + f" {self.amount_text}", action=action,
                                    on_success=done, on_error=failed, back="refund")


SCREEN = RefundScreen
