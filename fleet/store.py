"""The console's state in SQLite (one file, WAL): terminals and their last status, commands and
their acks, enrolment registrations, dashboard users.

Every query is plain SQL over indexed columns so the same schema runs on PostgreSQL for large
fleets (docs/fleet.md); SQLite is the default because a store or a lab needs no server.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS terminals (
  id TEXT PRIMARY KEY, serial TEXT, grp TEXT NOT NULL DEFAULT '', online INTEGER NOT NULL DEFAULT 0,
  last_seen TEXT, status TEXT NOT NULL DEFAULT '{}', version TEXT, key_version INTEGER,
  pending INTEGER NOT NULL DEFAULT 0, clock_offset_s REAL, enrolled_at TEXT, key_rotated_at TEXT);
CREATE INDEX IF NOT EXISTS terminals_grp ON terminals(grp);
CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY, terminal TEXT NOT NULL, op TEXT NOT NULL, args TEXT NOT NULL, operator TEXT NOT NULL,
  issued_at TEXT NOT NULL, expires_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'sent',
  result TEXT, detail TEXT, acked_at TEXT);
CREATE INDEX IF NOT EXISTS commands_terminal ON commands(terminal, issued_at);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, terminal TEXT NOT NULL, at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_terminal ON events(terminal, seq);
CREATE TABLE IF NOT EXISTS enrolments (
  serial TEXT PRIMARY KEY, state TEXT NOT NULL, grp TEXT NOT NULL DEFAULT '', registration TEXT NOT NULL DEFAULT '{}',
  terminal_id TEXT, first_seen TEXT, last_seen TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        # WAL + NORMAL: a crash of the console loses nothing; a power cut may lose the last
        # moments of acks and statuses (the terminals' audit trails remain the record of truth)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: Sequence[object] = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def close(self) -> None:
        self._db.close()

    # -- terminals ------------------------------------------------------------------------------
    def upsert_terminal(self, terminal_id: str, **fields: object) -> None:
        cols = ["id", *fields]
        sets = ", ".join(f"{c}=excluded.{c}" for c in fields) or "id=id"
        with self.tx() as db:
            db.execute(f"INSERT INTO terminals({','.join(cols)}) VALUES ({','.join('?' * len(cols))}) "
                       f"ON CONFLICT(id) DO UPDATE SET {sets}", [terminal_id, *fields.values()])

    def record_status(self, terminal_id: str, status: dict, received_at: str) -> None:
        online = bool(status.get("online"))
        fields = {"online": int(online), "last_seen": received_at}
        if online:
            offset = None
            try:
                sent = datetime.fromisoformat(status["sentAt"])
                offset = round((sent - datetime.fromisoformat(received_at)).total_seconds(), 3)
            except (KeyError, ValueError, AttributeError):
                pass
            old = self.terminal(terminal_id) or {}
            fields.update(status=json.dumps(status), serial=status.get("serial"), version=status.get("version"),
                          key_version=status.get("keyVersion"), clock_offset_s=offset,
                          pending=int(status.get("pendingPayments") or 0) + int(status.get("pendingRefunds") or 0))
            if old.get("key_version") != status.get("keyVersion"):
                fields["key_rotated_at"] = received_at
        self.upsert_terminal(terminal_id, **fields)

    def heartbeat(self, terminal_id: str, received_at: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE terminals SET last_seen=?, online=1 WHERE id=?", (received_at, terminal_id))

    def terminal(self, terminal_id: str) -> dict | None:
        rows = self.query("SELECT * FROM terminals WHERE id=?", (terminal_id,))
        return _terminal(rows[0]) if rows else None

    def terminals(self, *, offline: bool | None = None, unresolved: bool = False, group: str = "",
                  version: str = "", key_older_than_days: int | None = None, limit: int = 100000) -> list[dict]:
        sql, args = "SELECT * FROM terminals WHERE 1=1", list[object]()
        if offline is not None:
            sql += " AND online=?"
            args.append(0 if offline else 1)
        if unresolved:
            sql += " AND pending > 0"
        if group:
            sql += " AND grp=?"
            args.append(group)
        if version:
            sql += " AND version=?"
            args.append(version)
        if key_older_than_days is not None:
            cutoff = (datetime.now(UTC) - timedelta(days=key_older_than_days)).strftime("%Y-%m-%dT%H:%M:%S")
            sql += " AND COALESCE(key_rotated_at, enrolled_at, '') < ?"
            args.append(cutoff)
        return [_terminal(r) for r in self.query(sql + " ORDER BY id LIMIT ?", [*args, limit])]

    def set_group(self, terminal_id: str, group: str) -> None:
        self.upsert_terminal(terminal_id, grp=group)

    # -- commands -------------------------------------------------------------------------------
    def add_command(self, envelope: dict) -> None:
        self.add_commands([envelope])

    def add_commands(self, envelopes: list[dict]) -> None:
        with self.tx() as db:
            db.executemany("INSERT INTO commands(id, terminal, op, args, operator, issued_at, expires_at) "
                           "VALUES (?,?,?,?,?,?,?)",
                           [(c["id"], c["terminal"], c["op"], json.dumps(c["args"]), c["operator"], c["issuedAt"],
                             c["expiresAt"]) for c in (e["cmd"] for e in envelopes)])

    def record_ack(self, terminal_id: str, ack: dict) -> bool:
        """Store an ack; False when it names no command of that terminal (a stray or forged one)."""
        with self.tx() as db:
            cur = db.execute("UPDATE commands SET state='acked', result=?, detail=?, acked_at=? "
                             "WHERE id=? AND terminal=?", (ack.get("result"), json.dumps(ack.get("detail", {})),
                                                           now(), ack.get("id"), terminal_id))
            return cur.rowcount == 1

    def command(self, command_id: str) -> dict | None:
        rows = self.query("SELECT * FROM commands WHERE id=?", (command_id,))
        return _command(rows[0]) if rows else None

    def commands(self, terminal_id: str, limit: int = 50) -> list[dict]:
        return [_command(r) for r in self.query("SELECT * FROM commands WHERE terminal=? ORDER BY issued_at DESC "
                                                "LIMIT ?", (terminal_id, limit))]

    def add_event(self, terminal_id: str, body: dict) -> None:
        with self.tx() as db:
            db.execute("INSERT INTO events(terminal, at, body) VALUES (?,?,?)", (terminal_id, now(), json.dumps(body)))

    def events(self, terminal_id: str, limit: int = 50) -> list[dict]:
        return [{**r, "body": json.loads(r["body"])} for r in
                self.query("SELECT * FROM events WHERE terminal=? ORDER BY seq DESC LIMIT ?", (terminal_id, limit))]

    # -- enrolment ------------------------------------------------------------------------------
    def register_serial(self, serial: str, registration: dict, group: str = "") -> None:
        with self.tx() as db:
            db.execute("INSERT INTO enrolments(serial, state, grp, registration) VALUES (?, 'registered', ?, ?) "
                       "ON CONFLICT(serial) DO UPDATE SET state=CASE WHEN state='enrolled' THEN state ELSE "
                       "'registered' END, grp=excluded.grp, registration=excluded.registration",
                       (serial, group, json.dumps(registration)))

    def enrolment(self, serial: str) -> dict | None:
        rows = self.query("SELECT * FROM enrolments WHERE serial=?", (serial,))
        return {**rows[0], "registration": json.loads(rows[0]["registration"])} if rows else None

    def enrolments(self, state: str = "") -> list[dict]:
        sql = "SELECT serial, state, grp, terminal_id, first_seen, last_seen, result FROM enrolments"
        return self.query(sql + (" WHERE state=?" if state else "") + " ORDER BY serial", (state,) if state else ())

    def saw_serial(self, serial: str) -> dict:
        t = now()
        with self.tx() as db:
            db.execute("INSERT INTO enrolments(serial, state, first_seen, last_seen) VALUES (?, 'waiting', ?, ?) "
                       "ON CONFLICT(serial) DO UPDATE SET last_seen=excluded.last_seen, "
                       "first_seen=COALESCE(first_seen, excluded.first_seen)", (serial, t, t))
        row = self.enrolment(serial)
        assert row is not None, "upserted just above"
        return row

    def set_enrolment(self, serial: str, **fields: object) -> None:
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.tx() as db:
            db.execute(f"UPDATE enrolments SET {sets} WHERE serial=?", [*fields.values(), serial])


def _terminal(row: dict) -> dict:
    return {**row, "status": json.loads(row.get("status") or "{}"), "online": bool(row["online"])}


def _command(row: dict) -> dict:
    return {**row, "args": json.loads(row["args"]), "detail": json.loads(row["detail"]) if row["detail"] else None}
