"""History search in the journal: amount, last digits, local date range, states; totals cover
every match (not just the page shown)."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from terminal.errors import InputError
from terminal.history import HistoryQuery
from terminal.money import Money
from terminal.records import iso_utc
from terminal.states import TxState
from tests.core.journal_helpers import make_refund, make_tx


def local(day: date, hour: int) -> str:
    return iso_utc(datetime.combine(day, time(hour)).astimezone())


def add(j, minor, state, day, hour=12, masked="281012**********00", currency="USD"):
    return j.create(make_tx(minor, currency, state=state, masked_code=masked, created_at=local(day, hour)))


def test_search_by_amount_last_digits_dates_and_states_with_totals(journal):
    d1, d2, d3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    a = add(journal, 1250, TxState.APPROVED, d1, 0, "281012**********42")     # local midnight: still d1
    b = add(journal, 1250, TxState.DECLINED, d2, 9, "281012**********42")
    c = add(journal, 1250, TxState.APPROVED, d2, 23, "281012**********17")
    add(journal, 999, TxState.APPROVED, d3, 8, "281012**********42")
    add(journal, 1250, TxState.APPROVED, d2, 10, "281012**********42", currency="CAD")
    r = journal.create_refund(make_refund(c, 250))
    journal.finish_refund(r.id, "SUCCESS", tx_state=TxState.PARTIALLY_REFUNDED)

    found = journal.search(HistoryQuery(amount=Money("USD", 1250)))
    assert [t.id for t in found.transactions] == [c.id, b.id, a.id] and found.matched == 3
    (usd,) = found.totals
    assert (usd.count, usd.charged, usd.refunded) == (3, Money("USD", 2500), Money("USD", 250))

    assert {t.id for t in journal.search(HistoryQuery(amount=Money("USD", 1250), last_digits="42")).transactions} \
        == {a.id, b.id}
    by_day = journal.search(HistoryQuery(date_from=d2, date_to=d2))
    assert {t.id for t in by_day.transactions} >= {b.id, c.id} and a.id not in {t.id for t in by_day.transactions}
    assert sorted(t.currency for t in by_day.totals) == ["CAD", "USD"]
    approved = journal.search(HistoryQuery(states=frozenset({"APPROVED"}), last_digits="42", date_to=d2))
    assert [t.id for t in approved.transactions][-1] == a.id and all(
        t.state == TxState.APPROVED for t in approved.transactions)
    limited = journal.search(HistoryQuery(limit=1))
    assert len(limited.transactions) == 1 and limited.matched == 5    # totals count every match


@pytest.mark.parametrize("kw", [{"last_digits": "4x"}, {"last_digits": "12345"}, {"states": frozenset({"PAID"})},
                                {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 1)}])
def test_bad_queries_say_what_to_fix(kw):
    with pytest.raises(InputError):
        HistoryQuery(**kw)
