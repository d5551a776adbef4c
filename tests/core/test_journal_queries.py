"""The journal's per-sale queries stay index searches: a terminal that has taken 100,000
payments must start a sale as fast as a new one. Checked on SQLite's own query plan (a timed
test would be noise on a shared machine; bench/control_load.py times it)."""
from __future__ import annotations

from terminal.journal import Journal
from terminal.records import Transaction, new_id
from terminal.states import FINAL, TxState


def test_pending_searches_the_state_index_instead_of_scanning_every_payment(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    seen: list[str] = []
    journal._db.set_trace_callback(seen.append)      # the statement as run, its values bound
    journal.pending()
    journal._db.set_trace_callback(None)
    (sql,) = [s for s in seen if "FROM transactions" in s]
    plan = " | ".join(row[3] for row in journal._db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING INDEX tx_state" in plan and "SCAN transactions" not in plan, plan


def test_pending_finds_every_open_state_and_no_final_one(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    made = {}
    for state in TxState:
        tx = journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED,
                                        currency="USD", amount_minor=100, order_ref="o"))
        journal._db.execute("UPDATE transactions SET state=? WHERE id=?", (state.value, tx.id))  # any state, directly
        made[tx.id] = state
    pending = [t.id for t in journal.pending()]
    assert pending == [tx_id for tx_id, state in made.items() if state not in FINAL]   # oldest first
