"""Checkout progress notes skip the fsync; money state changes never do."""
from __future__ import annotations

import json
import sqlite3

import pytest

from terminal.journal import Journal
from terminal.records import Transaction, new_id
from terminal.states import TxState

FULL = 2


def _tx(journal: Journal) -> Transaction:
    return journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED,
                                      currency="USD", amount_minor=1250, order_ref="o"))


def test_a_non_durable_note_is_kept_and_later_writes_are_fsynced_again(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    tx = _tx(journal)
    journal.note(tx.id, "checkout", durable=False, state="PROCESSING")
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == FULL
    journal.transition(tx.id, TxState.SENT, expect=TxState.CREATED)
    journal.close()
    db = sqlite3.connect(tmp_path / "journal.sqlite")
    notes = [json.loads(r[0]) for r in db.execute(
        "SELECT detail FROM events WHERE tx_id=? AND kind='checkout'", (tx.id,))]
    assert notes == [{"state": "PROCESSING"}]   # kept, as written (durability is not a detail)


def test_a_failed_non_durable_note_still_restores_full_sync(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    tx = _tx(journal)
    with pytest.raises(TypeError):   # detail that cannot be stored: the write fails, rolled back
        journal.note(tx.id, "checkout", durable=False, state=object())
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == FULL
    journal.close()
