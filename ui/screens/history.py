"""History: newest first; the search box takes an amount ("12.50"), the code's last digits
("*42"), a day or a range ("2026-03-01..2026-03-05") and any other text (an id); state chips
filter; the core runs the query over the whole journal and the totals cover every match."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from kivy.clock import Clock
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.button import Button

from terminal.errors import InputError
from terminal.history import HistoryQuery, HistoryResult
from terminal.locale_formats import format_timestamp
from terminal.records import Transaction

from .base import PosScreen

STATE_FILTERS = {"all": frozenset(), "approved": frozenset({"APPROVED"}),
                 "refunded": frozenset({"PARTIALLY_REFUNDED", "REFUNDED"}),
                 "declined": frozenset({"DECLINED", "CANCELLED"}),
                 "open": frozenset({"CREATED", "SENT", "UNKNOWN", "INQUIRING", "CANCEL_PENDING"})}
_DAY = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^({_DAY})(?:\.\.({_DAY}))?$")
_LAST = re.compile(r"^[*…#](\d{1,4})$")
_AMOUNT = re.compile(r"^[$¥€£]?(\d{1,7}[.,]\d{1,2})$")


def parse_search(text: str, currency: str, states: frozenset = frozenset()) -> tuple[HistoryQuery, str]:
    """The search box as a core query plus the free text left over (matched locally: ids)."""
    from terminal.money import parse_amount

    kw: dict = {"states": states}
    rest = []
    for token in text.split():
        if m := _RANGE.match(token):
            try:
                kw["date_from"] = date.fromisoformat(m.group(1))
                kw["date_to"] = date.fromisoformat(m.group(2) or m.group(1))
            except ValueError:
                raise InputError(f"{token}: not a date (YYYY-MM-DD)", code="BAD_QUERY") from None
        elif m := _LAST.match(token):
            kw["last_digits"] = m.group(1)
        elif m := _AMOUNT.match(token):
            kw["amount"] = parse_amount(m.group(1).replace(",", "."), currency)
        else:
            rest.append(token)
    return HistoryQuery(**kw), " ".join(rest)

STATE_COLOURS = {"APPROVED": "4cd07d", "PARTIALLY_REFUNDED": "7fb3ff", "REFUNDED": "7fb3ff",
                 "DECLINED": "ff7a70", "CANCELLED": "ff7a70"}
BABEL = {"en": "en_US", "fr_CA": "fr_CA", "zh_Hans": "zh_Hans_CN"}


class HistoryRow(Button):
    tx_id = StringProperty("")
    screen = ObjectProperty(None, allownone=True)


def when_text(iso: str, lang: str) -> str:
    return format_timestamp(iso, BABEL.get(lang, "en_US"))


def matches(tx: Transaction, query: str) -> bool:
    """Amount ("12.50", "1250"), date ("2024-05-01"), masked code or its last digits, id."""
    q = query.strip().lower().replace(",", ".")
    if not q:
        return True
    # the date and time to the second (its fraction, "…:17.771234", matched amounts like "7.77")
    hay = [tx.amount.plain(), str(tx.amount_minor), tx.created_at[:19],
           tx.masked_code.lower(), tx.masked_code.replace("*", "").lower(), tx.id.lower(), tx.state.value.lower(),
           tx.wallet.lower()]
    return any(q in h for h in hay)


class HistoryScreen(PosScreen):
    summary = StringProperty("")
    state_filter = StringProperty("all")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.transactions: list[Transaction] = []
        self.result: HistoryResult | None = None
        self.query = ""
        self.free_text = ""
        self._reload = Clock.create_trigger(lambda _dt: self.load(), 0.3)

    def prepare(self, reset: bool = True, **_kw: Any) -> None:
        """From the sale screen: a fresh search; back from a detail: keep it."""
        if reset and self.ids.search.text:
            self.ids.search.text = ""
        if reset:
            self.state_filter = "all"

    def on_enter(self, *args: Any) -> None:
        self.load()

    def core_changed(self) -> None:
        """A transaction changed somewhere: reload, coalesced, if anyone is looking."""
        if self.app.current in ("history", "detail"):
            self._reload()
            if self.app.current == "detail":
                self.app.screens["detail"].reload()

    def load(self) -> None:
        try:
            query, self.free_text = parse_search(self.query, self.app.screens["sale"].currency,
                                                 STATE_FILTERS.get(self.state_filter, frozenset()))
        except InputError as exc:
            self.summary = self.t("Search: %(problem)s", problem=exc.message)
            return
        self.app.worker.run(self.app.terminal.search_history, query, on_done=self._loaded)

    def _loaded(self, result: HistoryResult) -> None:
        self.result = result
        self.transactions = list(result.transactions)
        self.refresh()

    def search(self, text: str) -> None:
        """Filter what is loaded at once (no wait on a keystroke), then ask the core."""
        self.query = text
        self.free_text = text
        self.refresh()
        self.load()

    def filter_state(self, key: str) -> None:
        self.state_filter = key
        self.load()

    def totals_text(self) -> str:
        if self.result is None or self.free_text:
            return ""
        parts = [self.t("charged %(charged)s, refunded %(refunded)s", charged=self.app.money(t.charged),
                        refunded=self.app.money(t.refunded)) for t in self.result.totals]
        return "; ".join(parts)

    def refresh(self) -> None:
        shown = [tx for tx in self.transactions if matches(tx, self.free_text)]
        rows = []
        for tx in shown:
            colour = STATE_COLOURS.get(tx.state.value, "ffc24a")
            rows.append({"tx_id": tx.id, "screen": self,
                         "text": f"{when_text(tx.created_at, self.app.lang)}   [b]{self.app.money(tx.amount)}[/b]   "
                                 f"[color={colour}]{self.t(tx.state.value)}[/color]   {tx.masked_code}"})
        self.ids.rv.data = rows
        total = self.result.matched if self.result is not None and not self.free_text else len(self.transactions)
        summary = self.t("%(n)s of %(total)s transactions, newest first", n=len(shown), total=total)
        totals = self.totals_text()
        self.summary = f"{summary}  ·  {totals}" if totals else summary

    def open_detail(self, tx_id: str) -> None:
        self.app.go("detail", tx_id=tx_id)


SCREEN = HistoryScreen
