"""The journal's schema version: migrations run once, in one transaction with the version bump;
a journal from a newer release (after a rollback) still opens; the backup is whole."""
from __future__ import annotations

import os
import sqlite3

import pytest

from terminal import journal_schema
from terminal.journal import Journal
from terminal.states import TxState
from tests.core.journal_helpers import make_refund, make_tx


def _version(path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_a_new_journal_has_the_current_version(tmp_path):
    Journal(tmp_path / "j.sqlite").close()
    assert _version(tmp_path / "j.sqlite") == journal_schema.SCHEMA_VERSION >= 1


def test_a_migration_runs_once_and_a_failing_one_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    calls = []
    now = journal_schema.SCHEMA_VERSION

    def add_column(db):
        calls.append(1)
        db.execute("ALTER TABLE transactions ADD COLUMN note TEXT")

    monkeypatch.setitem(journal_schema.MIGRATIONS, now + 1, add_column)
    assert journal_schema.migrate_file(path, target=now + 1) == (now, now + 1)
    assert journal_schema.migrate_file(path, target=now + 1) == (now + 1, now + 1) and calls == [1]

    def broken(db):
        db.execute("ALTER TABLE transactions ADD COLUMN other TEXT")
        raise RuntimeError("power cut mid-migration")

    monkeypatch.setitem(journal_schema.MIGRATIONS, now + 2, broken)
    with pytest.raises(RuntimeError):
        journal_schema.migrate_file(path, target=now + 2)
    db = sqlite3.connect(path)
    columns = [r[1] for r in db.execute("PRAGMA table_info(transactions)")]
    db.close()
    assert _version(path) == now + 1 and "other" not in columns


def test_refund_reasons_come_with_migration_2_and_older_refunds_read_without_one(tmp_path):
    """A version-1 journal (before refund reasons) with a refund: migrated on open, its refund
    reads with no reason; a new refund keeps its reason; a column a newer release added to
    refunds (after a rollback) is left alone."""
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    tx = journal.create(make_tx(state=TxState.APPROVED))
    old = journal.create_refund(make_refund(tx, 100))
    journal.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE refund_reasons")
    db.execute("ALTER TABLE refunds ADD COLUMN newer_release_note TEXT")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    journal = Journal(path)
    try:
        new = make_refund(tx, 200)
        new.reason_code, new.reason_text = "other", "wrong size"
        journal.create_refund(new)
        by_id = {r.id: r for r in journal.refunds_for(tx.id)}
        assert (by_id[old.id].reason_code, by_id[old.id].reason_text) == ("", "")
        assert (by_id[new.id].reason_code, by_id[new.id].reason_text) == ("other", "wrong size")
        assert by_id[new.id].to_api()["reason"] == "other"
    finally:
        journal.close()
    assert _version(path) == journal_schema.SCHEMA_VERSION >= 2


def test_a_journal_from_a_newer_release_still_opens(tmp_path):
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    tx = journal.create(make_tx(state=TxState.APPROVED))
    journal.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    journal = Journal(path)                   # rolled back: additive migrations, so it reads on
    assert journal.get(tx.id).state == TxState.APPROVED
    journal.close()
    assert _version(path) == 99


def test_backup_is_a_whole_consistent_copy(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    tx = journal.create(make_tx(state=TxState.APPROVED))
    dest = journal_schema.backup(tmp_path / "j.sqlite", tmp_path / "backups" / "j.bak")   # while open
    journal.close()
    copy = Journal(dest)
    assert copy.get(tx.id).amount_minor == tx.amount_minor
    copy.close()
    assert (dest.stat().st_mode & 0o777) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own files as another user")
def test_root_gives_the_journal_files_back_to_the_service_user(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    os.chown(path, 65534, 65534)                       # the service user's journal
    wal = path.with_name("j.sqlite-wal")
    wal.write_bytes(b"")                               # as root, e.g. an audit entry during an update
    journal_schema.backup(path, tmp_path / "backups" / "j.bak")
    journal_schema.keep_owner(path)
    for p in (wal, tmp_path / "backups", tmp_path / "backups" / "j.bak"):
        assert (p.stat().st_uid, p.stat().st_gid) == (65534, 65534), p
