"""Open payments: every payment the terminal is still resolving, with its live status; a row
opens the transaction. Fed by the app's PaymentWatch, so it changes while it is looked at."""
from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.button import Button

from .base import PosScreen
from .history import when_text

STATUS = {
    "CREATED": "Not sent yet: the terminal is checking.",
    "SENT": "Sent: waiting for the acquirer.",
    "UNKNOWN": "Not confirmed: checking with the acquirer.",
    "INQUIRING": "Not confirmed: checking with the acquirer.",
    "CANCEL_PENDING": "Cancelling: not confirmed yet. Do not hand over goods.",
}


class OpenRow(Button):
    tx_id = StringProperty("")
    screen = ObjectProperty(None, allownone=True)


class OpenScreen(PosScreen):
    summary = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.payments: list = list(self.app.watch.open)   # what the till's watch read before this screen existed
        self.refresh()

    def show(self, payments: list) -> None:
        self.payments = list(payments)
        self.refresh()

    def on_pre_enter(self, *args: Any) -> None:
        self.app.watch.refresh()

    def refresh(self) -> None:
        rows = []
        for tx in self.payments:
            status = self.t(STATUS.get(tx.state.value, "Not confirmed: checking with the acquirer."))
            rows.append({"tx_id": tx.id, "screen": self,
                         "text": f"{when_text(tx.created_at, self.app.lang)}   [b]{self.app.money(tx.amount)}[/b]"
                                 f"   {tx.masked_code}\n[color=ffc24a]{status}[/color]"})
        self.ids.rv.data = rows
        self.summary = (self.t("%(n)s open payments: the terminal keeps resolving them.", n=len(rows)) if rows
                        else self.t("No open payments: every payment has a final result."))

    def open_detail(self, tx_id: str) -> None:
        self.app.go("detail", tx_id=tx_id, back="open")


SCREEN = OpenScreen
