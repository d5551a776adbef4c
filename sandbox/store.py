"""Persistence of the sandbox acquirer: SQLite, WAL, synchronous=FULL, one writer at a time.

Every business call runs inside `Store.tx()`: a process-wide lock plus BEGIN IMMEDIATE, so
concurrent requests are serialised and each state change is committed (and fsynced) before
the response is built. A sandbox restarted on the same directory continues exactly.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clients(
  client_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, merchant_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS client_keys(
  client_id TEXT NOT NULL, key_version INTEGER NOT NULL, public_key_pem TEXT NOT NULL,
  created_ms INTEGER NOT NULL, superseded_ms INTEGER,
  PRIMARY KEY(client_id, key_version));
CREATE TABLE IF NOT EXISTS activation_codes(
  code TEXT PRIMARY KEY, merchant_json TEXT, created_ms INTEGER NOT NULL, used_ms INTEGER,
  client_id TEXT, public_key_pem TEXT, response_json TEXT);
CREATE TABLE IF NOT EXISTS payments(
  client_id TEXT NOT NULL, payment_request_id TEXT NOT NULL, payment_id TEXT,
  status TEXT NOT NULL, result_code TEXT NOT NULL, pay_result_code TEXT,
  currency TEXT, value INTEGER, order_ref TEXT, code_hash TEXT, code_masked TEXT,
  test_suffix TEXT, payment_method_type TEXT, payment_token TEXT,
  customer_currency TEXT, customer_value INTEGER, exchange_rate TEXT,
  created_ms INTEGER NOT NULL, payment_time_ms INTEGER, final_ms INTEGER, final_seq INTEGER,
  inquiry_count INTEGER NOT NULL DEFAULT 0, closed_unseen INTEGER NOT NULL DEFAULT 0,
  late_success INTEGER NOT NULL DEFAULT 0, cancelled_ms INTEGER,
  PRIMARY KEY(client_id, payment_request_id));
CREATE UNIQUE INDEX IF NOT EXISTS payments_by_id ON payments(payment_id);
CREATE TABLE IF NOT EXISTS refunds(
  client_id TEXT NOT NULL, refund_request_id TEXT NOT NULL, refund_id TEXT,
  payment_id TEXT NOT NULL, payment_request_id TEXT, currency TEXT, value INTEGER,
  reason TEXT, status TEXT NOT NULL, result_code TEXT NOT NULL,
  created_ms INTEGER NOT NULL, final_ms INTEGER, final_seq INTEGER,
  PRIMARY KEY(client_id, refund_request_id));
CREATE TABLE IF NOT EXISTS batches(
  client_id TEXT NOT NULL, batch_id TEXT NOT NULL, request_hash TEXT NOT NULL,
  seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL, response_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL, PRIMARY KEY(client_id, batch_id));
"""


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def tx(self) -> Iterator[Store]:
        """One serialised, durable transaction; nested calls join the outer one."""
        with self._lock:
            if self._conn.in_transaction:
                yield self
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- generic helpers -------------------------------------------------------------------

    def one(self, sql: str, *args: Any) -> dict | None:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return dict(row) if row is not None else None

    def the_one(self, sql: str, *args: Any) -> dict:
        """`one` for a row that must exist (just written, or a counter): a missing one is a bug."""
        row = self.one(sql, *args)
        if row is None:
            raise LookupError(f"sandbox store: no row for {sql!r}")
        return row

    def all(self, sql: str, *args: Any) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def run(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def insert(self, table: str, row: dict) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.run(f"INSERT INTO {table} ({cols}) VALUES ({marks})", *row.values())

    def update(self, table: str, where: dict, changes: dict) -> None:
        sets = ", ".join(f"{k} = ?" for k in changes)
        cond = " AND ".join(f"{k} = ?" for k in where)
        self.run(f"UPDATE {table} SET {sets} WHERE {cond}", *changes.values(), *where.values())

    def next_value(self, name: str) -> int:
        """A persistent monotonic counter (ids, final-state sequence for batches)."""
        with self.tx():
            self.run("INSERT OR IGNORE INTO counters(name, value) VALUES (?, 0)", name)
            self.run("UPDATE counters SET value = value + 1 WHERE name = ?", name)
            return self.the_one("SELECT value FROM counters WHERE name = ?", name)["value"]

    def current_value(self, name: str) -> int:
        row = self.one("SELECT value FROM counters WHERE name = ?", name)
        return row["value"] if row else 0

    # -- domain lookups --------------------------------------------------------------------

    def payment(self, client_id: str, payment_request_id: str) -> dict | None:
        return self.one(
            "SELECT * FROM payments WHERE client_id = ? AND payment_request_id = ?",
            client_id, payment_request_id,
        )

    def payment_by_id(self, client_id: str, payment_id: str) -> dict | None:
        return self.one("SELECT * FROM payments WHERE client_id = ? AND payment_id = ?", client_id, payment_id)

    def refund(self, client_id: str, refund_request_id: str) -> dict | None:
        return self.one(
            "SELECT * FROM refunds WHERE client_id = ? AND refund_request_id = ?", client_id, refund_request_id
        )

    def refunded_total(self, client_id: str, payment_id: str) -> int:
        row = self.the_one(
            "SELECT COALESCE(SUM(value), 0) AS total FROM refunds WHERE client_id = ? AND payment_id = ? "
            "AND status = 'SUCCESS'", client_id, payment_id,
        )
        return row["total"]

    def client(self, client_id: str) -> dict | None:
        return self.one("SELECT * FROM clients WHERE client_id = ?", client_id)

    def client_keys(self, client_id: str) -> list[dict]:
        return self.all("SELECT * FROM client_keys WHERE client_id = ? ORDER BY key_version", client_id)
