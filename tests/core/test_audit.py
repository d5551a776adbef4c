"""The audit trail keeps every technician and fleet action, newest first, across a reopen."""
import pytest

from terminal.audit import AuditTrail
from terminal.journal import Journal


def test_entries_survive_reopen_newest_first(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    trail = AuditTrail(journal)
    trail.record("technician", "provision", terminalId="T1")
    trail.record("fleet:ops", "rotate_key", result="failed", reason="KEY_NOT_FOUND")
    journal.close()
    again = AuditTrail(Journal(tmp_path / "journal.sqlite"))
    entries = again.entries()
    assert [e["action"] for e in entries] == ["rotate_key", "provision"]
    assert entries[0]["actor"] == "fleet:ops" and entries[0]["result"] == "failed"
    assert entries[0]["detail"] == {"reason": "KEY_NOT_FOUND"}
    assert [e["action"] for e in again.entries(action="provision")] == ["provision"]


def test_unknown_result_is_refused(tmp_path):
    trail = AuditTrail(Journal(tmp_path / "journal.sqlite"))
    with pytest.raises(ValueError):
        trail.record("cli", "update", result="maybe")
    assert trail.entries() == []
