"""The transaction journal: SQLite in WAL mode with synchronous=FULL (terminal-interfaces.md §4).

A row is committed (and synced) before any request for it leaves the terminal; every state
change goes through the transition table and appends an event row with a monotonic sequence
number (the control API's SSE ids). Raw payment codes are never written here.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Self

from .errors import FaultError, InputError
from .journal_schema import migrate
from .records import (
    REFUND_PENDING,
    REFUND_SUCCESS,
    Refund,
    Transaction,
    new_id,
    now_iso,
)
from .states import CAPTURED, FINAL, TransitionRefused, TxState, check_transition
from .storage_faults import storage_fault

if TYPE_CHECKING:
    from types import TracebackType

    from .history import HistoryQuery, HistoryResult

log = logging.getLogger("terminal.journal")

SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY,
    payment_request_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    tip_minor INTEGER NOT NULL DEFAULT 0,
    wallet TEXT NOT NULL DEFAULT '',
    masked_code TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    order_ref TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    payment_id TEXT NOT NULL DEFAULT '',
    payment_token TEXT NOT NULL DEFAULT '',
    payment_time TEXT NOT NULL DEFAULT '',
    result_code TEXT NOT NULL DEFAULT '',
    result_message TEXT NOT NULL DEFAULT '',
    customer_amount TEXT NOT NULL DEFAULT '',
    exchange_rate TEXT NOT NULL DEFAULT '',
    cancel_reason TEXT NOT NULL DEFAULT '',
    cancel_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    batch_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    final_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tx_state ON transactions(state);
CREATE INDEX IF NOT EXISTS tx_created ON transactions(created_at);
CREATE INDEX IF NOT EXISTS tx_fingerprint ON transactions(fingerprint);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    refund_request_id TEXT NOT NULL UNIQUE,
    tx_id TEXT NOT NULL REFERENCES transactions(id),
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    state TEXT NOT NULL,
    refund_id TEXT NOT NULL DEFAULT '',
    result_code TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    batch_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    final_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_tx ON events(tx_id, kind);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
    opened_at TEXT NOT NULL,
    closed_at TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT ''
);
"""

_OPEN = tuple(s.value for s in TxState if s not in FINAL)   # every state a payment can be left in
_TX_COLUMNS = [f.name for f in fields(Transaction) if f.name != "refunds"]
_REFUND_FIELDS = {f.name for f in fields(Refund)}
_REASON_FIELDS = {"reason_code", "reason_text"}        # in refund_reasons (journal_schema migration 2)
_REFUND_COLUMNS = [f.name for f in fields(Refund) if f.name not in _REASON_FIELDS]
_REFUNDS = ("SELECT refunds.*, COALESCE(rr.code, '') AS reason_code, COALESCE(rr.text, '') AS reason_text "
            "FROM refunds LEFT JOIN refund_reasons rr ON rr.refund_id = refunds.id")


def _refund(row: sqlite3.Row) -> Refund:
    """Known columns only: a newer release's additive columns are left alone (a rollback)."""
    return Refund(**{k: row[k] for k in row.keys() if k in _REFUND_FIELDS})  # noqa: SIM118 - a Row iterates values


class Journal:
    """Thread-safe: one connection guarded by a lock; each public call is one transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._closed = False
        self._listeners: list[Callable[[dict], None]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite gives the -wal/-shm files the database file's mode: create it private first.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.row_factory = sqlite3.Row
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise FaultError(f"journal {self.path}: WAL mode unavailable (got {mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            migrate(self._db)          # PRAGMA user_version (terminal/journal_schema.py)
            self.path.chmod(0o600)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise storage_fault(exc, self.path) or FaultError(
                f"journal {self.path} cannot be opened ({exc}): run `pos-terminal diagnose`", code="JOURNAL"
            ) from None

    # -- plumbing ---------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[dict], None]) -> None:
        """Called after commit with each new event row (dict with seq)."""
        self._listeners.append(listener)

    def _tx(self, *, durable: bool = True) -> _Txn:
        return _Txn(self, durable=durable)

    def _event(self, tx_id: str, kind: str, from_state: str = "", to_state: str = "", **detail: Any) -> dict:
        at = now_iso()
        cur = self._db.execute(
            "INSERT INTO events(tx_id, at, kind, from_state, to_state, detail) VALUES (?,?,?,?,?,?)",
            (tx_id, at, kind, from_state, to_state, json.dumps(detail, sort_keys=True)),
        )
        return {"seq": cur.lastrowid, "txId": tx_id, "at": at, "kind": kind,
                "from": from_state, "to": to_state, "detail": detail}

    def _notify(self, events: list[dict]) -> None:
        for event in events:
            for listener in list(self._listeners):
                listener(event)

    def close(self) -> None:
        """Under the lock, so a write in progress commits first. A thread that was still working
        when the terminal shut down (a sale whose answer came late) then gets `closed_error()`
        on its next read or write, a FaultError it handles like any journal fault, never a
        half-written row or a sqlite3 error; what it could not write stays for recovery."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            self._db = _ClosedConnection(self)  # type: ignore[assignment]  # every use raises closed_error()

    @property
    def closed(self) -> bool:
        return self._closed

    def closed_error(self) -> FaultError:
        return FaultError(f"journal {self.path} is closed: the terminal is shutting down (what is unresolved "
                          "is resolved at the next start)", code="JOURNAL_CLOSED")

    # -- transactions -----------------------------------------------------------------------
    def create(self, tx: Transaction) -> Transaction:
        tx.created_at = tx.updated_at = tx.created_at or now_iso()
        row = {c: getattr(tx, c) for c in _TX_COLUMNS}
        row["state"] = tx.state.value
        with self._tx() as t:
            try:
                t.db.execute(
                    f"INSERT INTO transactions({','.join(row)}) VALUES ({','.join('?' * len(row))})",
                    list(row.values()),
                )
            except sqlite3.IntegrityError as exc:
                raise InputError(f"duplicate transaction ({exc})", code="DUPLICATE") from None
            t.events.append(self._event(tx.id, "state", "", tx.state.value, amount=tx.amount.to_api(),
                                        wallet=tx.wallet, maskedCode=tx.masked_code))
        return tx

    def transition(self, tx_id: str, *states: TxState, expect: TxState | Collection[TxState],
                   **changes: Any) -> Transaction:
        """Compare-and-set: if the payment is still in `expect` (the state the caller read, or
        one of several), move through `states` (each checked against the table) and update
        fields, in one commit. Otherwise nothing is written, the refusal is logged and journalled
        (`transition_refused`), and TransitionRefused says what was found. Two actors that both
        read INQUIRING cannot both act: the second one's write is refused."""
        expected = frozenset([expect]) if isinstance(expect, TxState) else frozenset(expect)
        try:
            with self._tx() as t:
                tx = self._get(tx_id)
                if tx.state not in expected:
                    raise TransitionRefused(tx_id, found=tx.state, expected=expected,
                                            wanted=states[-1] if states else None)
                for new in states:
                    check_transition(tx.state, new)
                    t.events.append(self._event(tx_id, "state", tx.state.value, new.value,
                                                resultCode=changes.get("result_code", tx.result_code)))
                    tx.state = new
                now = now_iso()
                changes["state"] = tx.state.value
                changes["updated_at"] = now
                if states:  # final_at: when the current final state was reached; "" while not final
                    changes["final_at"] = now if tx.state in FINAL else ""
                if states and tx.state in CAPTURED and not tx.batch_id:
                    changes["batch_id"] = self._open_batch_id()
                self._update("transactions", tx_id, changes)
                return self._get(tx_id)
        except TransitionRefused as refused:
            log.warning("transition refused: %s", refused.message, extra={"txId": tx_id})
            self.note(tx_id, "transition_refused", found=refused.found.value,
                      expected=sorted(s.value for s in expected),
                      wanted=refused.wanted.value if refused.wanted else "")
            raise

    def update(self, tx_id: str, **changes: Any) -> Transaction:
        """Field changes that are not state changes (cancel attempts, next attempt time)."""
        with self._tx():
            changes["updated_at"] = now_iso()
            self._update("transactions", tx_id, changes)
            return self._get(tx_id)

    def note(self, tx_id: str, kind: str, *, durable: bool = True, **detail: Any) -> None:
        """Append a non-state event (progress, attempts) for listeners and the audit trail.

        ``durable=False`` (the checkout's screen progress: awaiting scan, processing, result)
        commits to the WAL without an fsync: still atomic, never a torn journal, and made
        durable by the next fsynced commit (every money state change is one); a power cut can
        lose only such notes written since. Saves one fsync per checkout step, which on an SD
        card is most of a sale's latency through the control API."""
        with self._tx(durable=durable) as t:
            t.events.append(self._event(tx_id, kind, **detail))

    def _update(self, table: str, row_id: str, changes: dict[str, Any]) -> None:
        values = [v.value if isinstance(v, TxState) else v for v in changes.values()]
        self._db.execute(
            f"UPDATE {table} SET {', '.join(f'{k}=?' for k in changes)} WHERE id=?", [*values, row_id]
        )

    def _row_to_tx(self, row: sqlite3.Row) -> Transaction:
        data = dict(row)
        data["state"] = TxState(data["state"])
        tx = Transaction(**data)
        tx.refunds = self.refunds_for(tx.id)
        return tx

    def _get(self, tx_id: str) -> Transaction:
        row = self._db.execute("SELECT * FROM transactions WHERE id=?", (tx_id,)).fetchone()
        if row is None:
            raise InputError(f"no transaction {tx_id}: list them with `pos-terminal transactions`", code="NOT_FOUND")
        return self._row_to_tx(row)

    def get(self, tx_id: str) -> Transaction:
        with self._lock:
            return self._get(tx_id)

    def find(self, *, idempotency_key: str | None = None, payment_request_id: str | None = None) -> Transaction | None:
        column, value = ("idempotency_key", idempotency_key) if idempotency_key else ("payment_request_id", payment_request_id)
        with self._lock:
            row = self._db.execute(f"SELECT * FROM transactions WHERE {column}=?", (value,)).fetchone()
            return self._row_to_tx(row) if row else None

    def transactions(self, *, since: str | None = None, limit: int = 200) -> list[Transaction]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM transactions WHERE created_at >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (since or "", limit),
            ).fetchall()
            return [self._row_to_tx(r) for r in rows]

    def search(self, query: HistoryQuery) -> HistoryResult:
        """History search (terminal/history.py): matches newest first, and totals over every match."""
        from .history import HistoryResult, totals_from_rows, totals_sql, where_clause

        where, params = where_clause(query)
        with self._lock:
            rows = self._db.execute(f"SELECT t.* FROM transactions t WHERE {where} "
                                    "ORDER BY t.created_at DESC, t.rowid DESC LIMIT ?", (*params, query.limit)).fetchall()
            totals = totals_from_rows(self._db.execute(totals_sql(where), params).fetchall())
            return HistoryResult(transactions=[self._row_to_tx(r) for r in rows],
                                 matched=sum(t.count for t in totals), totals=totals)

    def charged_with(self, fingerprint: str, *, since: str) -> list[Transaction]:
        """Payments since `since` made with this code (by keyed fingerprint) that charged or may
        have charged the customer: approved, refunded or not final yet."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM transactions WHERE fingerprint=? AND created_at >= ? AND state NOT IN (?, ?)",
                (fingerprint, since, TxState.DECLINED.value, TxState.CANCELLED.value),
            ).fetchall()
            return [self._row_to_tx(r) for r in rows]

    def pending(self) -> list[Transaction]:
        """Every transaction that is not final, oldest first.

        Asked before every sale and by the background resolution loop, so it must not grow with
        the journal: `state IN (the open states)` is a search of the tx_state index, where
        `NOT IN (the final ones)` was a scan of every payment ever made (tests/core/
        test_journal_queries.py checks the plan)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM transactions WHERE state IN ({','.join('?' * len(_OPEN))}) ORDER BY rowid",
                _OPEN,
            ).fetchall()
            return [self._row_to_tx(r) for r in rows]

    def events_since(self, seq: int, limit: int = 1000) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        return [{"seq": r["seq"], "txId": r["tx_id"], "at": r["at"], "kind": r["kind"], "from": r["from_state"],
                 "to": r["to_state"], "detail": json.loads(r["detail"])} for r in rows]

    def events_for(self, tx_ids: list[str], kinds: tuple[str, ...]) -> list[dict]:
        """The events of these kinds for these transactions, oldest first (indexed by tx_id)."""
        if not tx_ids or not kinds:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM events WHERE tx_id IN ({','.join('?' * len(tx_ids))}) "
                f"AND kind IN ({','.join('?' * len(kinds))}) ORDER BY seq", [*tx_ids, *kinds]).fetchall()
        return [{"seq": r["seq"], "txId": r["tx_id"], "at": r["at"], "kind": r["kind"], "from": r["from_state"],
                 "to": r["to_state"], "detail": json.loads(r["detail"])} for r in rows]

    def last_seq(self) -> int:
        """The newest event's sequence number (0 when none): where a live-only stream starts."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    # -- refunds ----------------------------------------------------------------------------
    def create_refund(self, refund: Refund) -> Refund:
        refund.created_at = now_iso()
        with self._tx() as t:
            t.db.execute(
                f"INSERT INTO refunds({','.join(_REFUND_COLUMNS)}) VALUES ({','.join('?' * len(_REFUND_COLUMNS))})",
                [getattr(refund, c) for c in _REFUND_COLUMNS],
            )
            if refund.reason_code:
                t.db.execute("INSERT INTO refund_reasons(refund_id, code, text) VALUES (?,?,?)",
                             (refund.id, refund.reason_code, refund.reason_text))
            t.events.append(self._event(refund.tx_id, "refund", to_state=REFUND_PENDING,
                                        refundRequestId=refund.refund_request_id, amount=refund.amount.to_api(),
                                        reason=refund.reason_code))
        return refund

    def finish_refund(self, row_id: str, state: str, *, tx_state: TxState | None = None, **changes: Any) -> Refund:
        """Record a refund's final result and, in the same commit, the payment's new state."""
        with self._tx() as t:
            refund = self._get_refund(row_id)
            if refund.state != REFUND_PENDING:   # compare-and-set: only a pending refund gets a result
                raise FaultError(f"refund {row_id} is already {refund.state}: its result was recorded before",
                                 code="TRANSITION_REFUSED")
            changes.update(state=state, final_at=now_iso())
            if state == REFUND_SUCCESS:
                changes["batch_id"] = self._open_batch_id()
            self._update("refunds", row_id, changes)
            t.events.append(self._event(refund.tx_id, "refund", REFUND_PENDING, state,
                                        refundRequestId=refund.refund_request_id,
                                        resultCode=changes.get("result_code", "")))
            if tx_state is not None:
                tx = self._get(refund.tx_id)
                check_transition(tx.state, tx_state)
                t.events.append(self._event(tx.id, "state", tx.state.value, tx_state.value))
                self._update("transactions", tx.id, {"state": tx_state.value, "updated_at": now_iso(), "final_at": now_iso()})
            return self._get_refund(row_id)

    def bump_refund_attempts(self, refund_id: str) -> None:
        with self._tx():
            self._db.execute("UPDATE refunds SET attempts = attempts + 1 WHERE id=?", (refund_id,))

    def _get_refund(self, refund_id: str) -> Refund:
        row = self._db.execute(f"{_REFUNDS} WHERE id=?", (refund_id,)).fetchone()
        return _refund(row)

    def refunds_for(self, tx_id: str) -> list[Refund]:
        rows = self._db.execute(f"{_REFUNDS} WHERE tx_id=? ORDER BY refunds.rowid", (tx_id,)).fetchall()
        return [_refund(r) for r in rows]

    def pending_refunds(self) -> list[Refund]:
        with self._lock:
            rows = self._db.execute(f"{_REFUNDS} WHERE state=? ORDER BY refunds.rowid", (REFUND_PENDING,)).fetchall()
            return [_refund(r) for r in rows]

    # -- batches ----------------------------------------------------------------------------
    def _open_batch_id(self) -> str:
        row = self._db.execute("SELECT id FROM batches WHERE state='OPEN'").fetchone()
        if row:
            return row["id"]
        batch_id = new_id("B")
        self._db.execute("INSERT INTO batches(id, state, opened_at) VALUES (?, 'OPEN', ?)", (batch_id, now_iso()))
        return batch_id

    def open_batch(self) -> dict:
        with self._tx():
            batch_id = self._open_batch_id()
            return dict(self._db.execute("SELECT * FROM batches WHERE id=?", (batch_id,)).fetchone())

    def batch_contents(self, batch_id: str) -> tuple[list[Transaction], list[Refund]]:
        with self._lock:
            txs = [self._row_to_tx(r) for r in self._db.execute(
                "SELECT * FROM transactions WHERE batch_id=? ORDER BY rowid", (batch_id,))]
            refunds = [_refund(r) for r in self._db.execute(
                f"{_REFUNDS} WHERE batch_id=? AND state=? ORDER BY refunds.rowid", (batch_id, REFUND_SUCCESS))]
            return txs, refunds

    def close_batch(self, batch_id: str, report: dict) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE batches SET state='CLOSED', closed_at=?, report=? WHERE id=? AND state='OPEN'",
                (now_iso(), json.dumps(report, sort_keys=True), batch_id),
            )

    def batches(self, limit: int = 20) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute("SELECT * FROM batches ORDER BY opened_at DESC LIMIT ?", (limit,))]

    # -- meta (the identity stamp, terminal/identity.py) -------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self._tx():
            self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            return row[0] if row else None

    # -- maintenance ------------------------------------------------------------------------
    def integrity_check(self) -> str:
        with self._lock:
            return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def iter_all_text(self) -> Iterator[str]:
        """Every stored value as text (tests search it for raw codes)."""
        with self._lock:
            for table in ("transactions", "refunds", "events", "batches", "audit"):
                for row in self._db.execute(f"SELECT * FROM {table}"):
                    yield " ".join(str(v) for v in tuple(row))


class _Txn:
    """BEGIN IMMEDIATE … COMMIT under the journal's lock; listeners run after the commit."""

    def __init__(self, journal: Journal, *, durable: bool = True):
        self.journal = journal
        self.events: list[dict] = []
        self.durable = durable

    def __enter__(self) -> Self:
        self.journal._lock.acquire()
        if self.journal._closed:
            self.journal._lock.release()
            raise self.journal.closed_error()
        self.db = self.journal._db     # read under the lock: close() may have just replaced it
        try:
            if not self.durable:  # set outside the transaction (SQLite ignores it inside)
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._restore()
            self.journal._lock.release()
            raise _write_failed(self.journal, exc) from exc
        return self

    def _restore(self) -> None:
        if not self.durable:
            try:
                self.db.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error:  # the connection is unusable: the next write reports it
                pass

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.Error as commit_error:
                    self._rollback()
                    exc_type, exc = type(commit_error), commit_error
            else:
                self._rollback()
        finally:
            self._restore()
            self.journal._lock.release()
        if exc_type is None:
            self.journal._notify(self.events)
        elif isinstance(exc, sqlite3.Error):
            # Nothing was committed, so nothing that depends on this write has happened yet.
            raise _write_failed(self.journal, exc) from exc


    def _rollback(self) -> None:
        """SQLite may already have rolled back (a full disk does that): then there is nothing to do."""
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass    # the connection rolls back on its own; the original error is what is raised


class _ClosedConnection:
    """Stands for the connection once the journal is closed: every use says so clearly."""

    def __init__(self, journal: Journal):
        self._journal = journal
        self.in_transaction = False

    def execute(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise self._journal.closed_error()

    executemany = executescript = execute

    def close(self) -> None:
        pass


def _write_failed(journal: Journal, exc: BaseException) -> FaultError:
    classified = storage_fault(exc, journal.path)
    if classified is not None:
        return classified
    return FaultError(f"journal {journal.path} could not be written ({exc}): check free disk space and "
                      "the state directory, then run `pos-terminal diagnose`", code="JOURNAL")


