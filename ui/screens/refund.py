"""Refund amount (prefilled with what is left), then the manager PIN; the refund slip prints."""
from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from terminal.money import Money

from ..widgets.keypad import Keypad  # noqa: F401
from .base import PosScreen


class RefundScreen(PosScreen):
    tx_id = StringProperty("")
    digits = StringProperty("")
    amount_text = StringProperty("")
    left_text = StringProperty("")
    message = StringProperty("")
    valid = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tx = None
        self.remaining = None

    def prepare(self, tx=None, remaining: Money | None = None, **_kw) -> None:
        if tx is None:        # nothing new to refund: keep the refund being prepared
            self.refresh()
            return
        self.tx, self.remaining = tx, remaining
        self.tx_id = tx.id if tx else ""
        self.digits = str(remaining.minor) if remaining else ""
        self.message = ""
        self.refresh()

    def amount(self) -> Money | None:
        if self.tx is None:
            return None
        return Money(self.tx.currency, int(self.digits or "0"))

    def refresh(self) -> None:
        amount = self.amount()
        if amount is None:
            return
        self.amount_text = self.app.money(amount)
        self.left_text = self.t("Left to refund: %(amount)s", amount=self.app.money(self.remaining))
        self.valid = 0 < amount.minor <= self.remaining.minor

    def on_key(self, key: str) -> None:
        if key == "back":
            self.digits = self.digits[:-1]
        elif len(self.digits + key) <= 9:
            self.digits = (self.digits + key).lstrip("0")
        self.refresh()

    def confirm(self) -> None:
        if not self.valid:
            return
        tx, amount, terminal = self.tx, self.amount(), self.app.terminal

        def action(pin: str, as_owner: bool):
            refund = terminal.refund(tx.id, amount, pin=None if as_owner else pin,
                                     owner_pin=pin if as_owner else None)
            printed = terminal.print_refund_receipt(terminal.get(tx.id), refund)
            return refund, printed

        def done(result) -> None:
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
