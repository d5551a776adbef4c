"""History: newest first, filtered by amount, date or masked code; a row opens the detail."""
from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from kivy.clock import Clock
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.button import Button

from .base import PosScreen

STATE_COLOURS = {"APPROVED": "4cd07d", "PARTIALLY_REFUNDED": "7fb3ff", "REFUNDED": "7fb3ff",
                 "DECLINED": "ff7a70", "CANCELLED": "ff7a70"}
BABEL = {"en": "en_US", "fr_CA": "fr_CA", "zh_Hans": "zh_Hans_CN"}


class HistoryRow(Button):
    tx_id = StringProperty("")
    screen = ObjectProperty(None, allownone=True)


def when_text(iso: str, lang: str) -> str:
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return iso
    return format_datetime(when, "short", locale=BABEL.get(lang, "en_US"))


def matches(tx, query: str) -> bool:
    """Amount ("12.50", "1250"), date ("2024-05-01"), masked code or its last digits, id."""
    q = query.strip().lower().replace(",", ".")
    if not q:
        return True
    hay = [tx.amount.plain(), str(tx.amount_minor), tx.created_at[:10], tx.created_at,
           tx.masked_code.lower(), tx.masked_code.replace("*", "").lower(), tx.id.lower(), tx.state.value.lower(),
           tx.wallet.lower()]
    return any(q in h for h in hay)


class HistoryScreen(PosScreen):
    summary = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transactions = []
        self.query = ""
        self._reload = Clock.create_trigger(lambda _dt: self.load(), 0.3)

    def prepare(self, reset: bool = True, **_kw) -> None:
        """From the sale screen: a fresh search; back from a detail: keep it."""
        if reset and self.ids.search.text:
            self.ids.search.text = ""

    def on_enter(self, *args) -> None:
        self.load()

    def core_changed(self) -> None:
        """A transaction changed somewhere: reload, coalesced, if anyone is looking."""
        if self.app.current in ("history", "detail"):
            self._reload()
            if self.app.current == "detail":
                self.app.screens["detail"].reload()

    def load(self) -> None:
        self.app.worker.run(self.app.terminal.transactions, limit=200, on_done=self._loaded)

    def _loaded(self, txs) -> None:
        self.transactions = list(txs)
        self.refresh()

    def search(self, text: str) -> None:
        self.query = text
        self.refresh()

    def refresh(self) -> None:
        shown = [tx for tx in self.transactions if matches(tx, self.query)]
        rows = []
        for tx in shown:
            colour = STATE_COLOURS.get(tx.state.value, "ffc24a")
            rows.append({"tx_id": tx.id, "screen": self,
                         "text": f"{when_text(tx.created_at, self.app.lang)}   [b]{self.app.money(tx.amount)}[/b]   "
                                 f"[color={colour}]{self.t(tx.state.value)}[/color]   {tx.masked_code}"})
        self.ids.rv.data = rows
        self.summary = self.t("%(n)s of %(total)s transactions, newest first", n=len(shown),
                              total=len(self.transactions))

    def open_detail(self, tx_id: str) -> None:
        self.app.go("detail", tx_id=tx_id)


SCREEN = HistoryScreen
