"""History search: amount, last digits of the masked code, a date range and states, with totals.

Why in the core and in SQL: a cashier looking for "the $12.50 one ending 42 last Tuesday" must
find it among months of journal, not only among the newest 200 rows a screen happens to hold,
and the totals must cover every match (what was charged and what was refunded, per currency),
not the page shown. Only the masked code is searched: the raw code is never stored.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from .errors import InputError
from .money import Money
from .records import REFUND_SUCCESS, iso_utc
from .states import TxState

CHARGED = (TxState.APPROVED.value, TxState.PARTIALLY_REFUNDED.value, TxState.REFUNDED.value)


@dataclass(frozen=True)
class HistoryQuery:
    amount: Money | None = None     # the payment's total (amount + tip)
    last_digits: str = ""           # the masked code's visible tail, e.g. "42"
    date_from: date | None = None   # local calendar days, both inclusive
    date_to: date | None = None
    states: frozenset[str] = frozenset()   # TxState values; empty = all
    limit: int = 200

    def __post_init__(self) -> None:
        if self.last_digits and not (self.last_digits.isascii() and self.last_digits.isdigit()
                                     and len(self.last_digits) <= 4):
            raise InputError("last digits: type 1 to 4 digits, the end of the masked code", code="BAD_QUERY")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError("the date range ends before it starts: swap the dates", code="BAD_QUERY")
        unknown = set(self.states) - {s.value for s in TxState}
        if unknown:
            raise InputError(f"unknown state(s) {sorted(unknown)}: use {[s.value for s in TxState]}", code="BAD_QUERY")


@dataclass(frozen=True)
class Totals:
    currency: str
    count: int          # payments matched, any state
    charged: Money      # approved ones (refunded or not): what customers paid
    refunded: Money     # confirmed refunds of the matched payments


@dataclass(frozen=True)
class HistoryResult:
    transactions: list = field(default_factory=list)   # newest first, at most query.limit
    matched: int = 0
    totals: list[Totals] = field(default_factory=list)


def _local_midnight_utc(day: date) -> str:
    return iso_utc(datetime.combine(day, time.min).astimezone())


def where_clause(q: HistoryQuery) -> tuple[str, list]:
    """SQL over the transactions table `t` (every value a bound parameter)."""
    where, params = ["1=1"], []
    if q.amount is not None:
        where.append("t.currency = ? AND t.amount_minor = ?")
        params += [q.amount.currency, q.amount.minor]
    if q.last_digits:
        where.append("substr(t.masked_code, -?) = ?")
        params += [len(q.last_digits), q.last_digits]
    if q.date_from:
        where.append("t.created_at >= ?")
        params.append(_local_midnight_utc(q.date_from))
    if q.date_to:
        where.append("t.created_at < ?")
        params.append(_local_midnight_utc(q.date_to + timedelta(days=1)))
    if q.states:
        states = sorted(q.states)
        where.append(f"t.state IN ({','.join('?' * len(states))})")
        params += states
    return " AND ".join(where), params


def totals_sql(where: str) -> str:
    charged = ",".join(f"'{s}'" for s in CHARGED)
    return (f"SELECT t.currency, COUNT(*), "
            f"COALESCE(SUM(CASE WHEN t.state IN ({charged}) THEN t.amount_minor ELSE 0 END), 0), "
            f"COALESCE(SUM((SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r "
            f"WHERE r.tx_id = t.id AND r.state = '{REFUND_SUCCESS}')), 0) "
            f"FROM transactions t WHERE {where} GROUP BY t.currency ORDER BY t.currency")


def totals_from_rows(rows: Iterable[Sequence[Any]]) -> list[Totals]:
    return [Totals(currency=cur, count=n, charged=Money(cur, charged), refunded=Money(cur, refunded))
            for cur, n, charged, refunded in rows]
