"""The audit trail: who did what to the terminal, and how it ended.

Technician actions (provision, key rotation, factory reset, configuration change, update) and
fleet commands are appended to the journal's `audit` table, in the same crash-safe database as
the payments, so `export-logs` and the fleet can show them. Entries are never updated or
deleted (a factory reset removes the whole state directory). Details must hold no secret and
no payment code: callers pass ids, versions and outcomes only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .journal import Journal
from .records import now_iso

RESULTS = frozenset({"ok", "failed", "refused", "started"})


class AuditTrail:
    def __init__(self, journal: Journal):
        self._journal = journal

    def record(self, actor: str, action: str, *, result: str = "ok", **detail: Any) -> dict:
        """Append one entry; `actor` is e.g. "technician", "cli", "fleet:<operator>"."""
        if result not in RESULTS:
            raise ValueError(f"audit result must be one of {sorted(RESULTS)}, not {result!r}")
        entry = {"at": now_iso(), "actor": actor, "action": action, "result": result, "detail": detail}
        with self._journal._tx() as t:
            cur = t.db.execute("INSERT INTO audit(at, actor, action, result, detail) VALUES (?,?,?,?,?)",
                               (entry["at"], actor, action, result, json.dumps(detail, sort_keys=True)))
        return {"seq": cur.lastrowid, **entry}

    def entries(self, *, limit: int = 200, action: str | None = None) -> list[dict]:
        """Newest first."""
        sql, args = "SELECT * FROM audit", []
        if action:
            sql, args = sql + " WHERE action = ?", [action]
        with self._journal._lock:
            rows = self._journal._db.execute(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit]).fetchall()
        return [{"seq": r["seq"], "at": r["at"], "actor": r["actor"], "action": r["action"],
                 "result": r["result"], "detail": json.loads(r["detail"])} for r in rows]


def record_in(journal_path: Path, actor: str, action: str, *, say: Callable[[str], None], **fields: Any) -> None:
    """One entry from a command that does not hold the journal open (provision, rotate-key,
    factory reset, update): best effort, so a journal that cannot be opened never blocks the
    action; `say` tells the operator the entry was not written, and why."""
    try:
        journal = Journal(journal_path)
    except Exception as exc:   # noqa: BLE001 - the audit never blocks the action; say why
        say(f"note: audit trail not written ({exc})")
        return
    try:
        AuditTrail(journal).record(actor, action, **fields)
    finally:
        journal.close()
