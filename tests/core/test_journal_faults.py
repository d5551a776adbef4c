"""A journal that cannot be written fails loudly and cleanly, before anything leaves."""
from __future__ import annotations

import pytest

from terminal.errors import FaultError
from terminal.journal import Journal
from terminal.records import Transaction
from terminal.states import TxState


def test_a_failed_write_is_a_fault_that_names_the_fix(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal._db.execute("PRAGMA query_only = ON")   # every write now fails inside SQLite
    tx = Transaction(id="T1", payment_request_id="PR1", state=TxState.CREATED, currency="USD",
                     amount_minor=100, order_ref="o")
    with pytest.raises(FaultError) as err:
        journal.create(tx)
    # SQLite answers SQLITE_READONLY: a read-only journal, with what to do (issue #12 item 7)
    assert err.value.exit_code == 3 and err.value.code == "STORAGE_READ_ONLY"
    assert "read-only" in err.value.message and "pos-terminal diagnose" in err.value.message
    journal._db.execute("PRAGMA query_only = OFF")
    assert journal.pending() == []            # nothing half-written
    journal.create(tx)                         # and the journal still works afterwards
    assert [t.id for t in journal.pending()] == ["T1"]
    journal.close()
