"""The journal: SQLite WAL + synchronous FULL, the transition table, events, refunds, batches,
durability across reopen and across SIGKILL."""
from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from terminal.errors import FaultError, InputError
from terminal.journal import Journal
from terminal.records import REFUND_FAIL, REFUND_PENDING, REFUND_SUCCESS
from terminal.states import IllegalTransition, TxState

from .journal_helpers import approved_tx, make_refund, make_tx

S = TxState


def test_wal_and_full_sync_are_set(journal):
    assert journal._db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert journal._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # WAL is a property of the file: another connection sees it too.
    other = sqlite3.connect(journal.path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        other.close()
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert journal.integrity_check() == "ok"


def test_create_transition_and_events(journal):
    seen = []
    journal.subscribe(seen.append)
    tx = journal.create(make_tx(wallet="ALIPAY_CN", masked_code="281012**********34"))
    assert tx.created_at and tx.updated_at == tx.created_at
    got = journal.transition(tx.id, S.SENT, expect=S.CREATED)
    assert got.state is S.SENT and got.final_at == ""
    got = journal.transition(tx.id, S.APPROVED, expect=S.SENT, result_code="SUCCESS", payment_id="P-9")
    assert got.state is S.APPROVED and got.final_at and got.payment_id == "P-9"
    assert got.batch_id, "a captured payment joins the open batch"
    assert got.is_final and got.captured
    events = journal.events_since(0)
    assert [(e["from"], e["to"]) for e in events] == [("", "CREATED"), ("CREATED", "SENT"), ("SENT", "APPROVED")]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [e["seq"] for e in seen] == seqs
    assert events[0]["detail"]["amount"] == {"currency": "USD", "value": "1250"}
    assert journal.events_since(seqs[0]) == events[1:]
    api = journal.get(tx.id).to_api()
    assert api["state"] == "APPROVED" and api["maskedCode"] == "281012**********34"


def test_multi_step_transition_is_one_commit(journal):
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.UNKNOWN, S.INQUIRING, S.CANCEL_PENDING, S.CANCELLED, expect=S.CREATED)
    assert journal.get(tx.id).state is S.CANCELLED
    assert [e["to"] for e in journal.events_since(0)][1:] == ["SENT", "UNKNOWN", "INQUIRING", "CANCEL_PENDING", "CANCELLED"]


def test_illegal_transition_rolls_back(journal):
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, expect=S.CREATED)
    before = journal.get(tx.id)
    n_events = len(journal.events_since(0))
    seen = []
    journal.subscribe(seen.append)
    # The first step is legal, the second is not: neither may stick, nor the field change.
    with pytest.raises(IllegalTransition):
        journal.transition(tx.id, S.APPROVED, S.SENT, expect=S.SENT, result_code="SUCCESS", payment_id="P-bad")
    after = journal.get(tx.id)
    assert after == before
    assert len(journal.events_since(0)) == n_events
    assert seen == []
    with pytest.raises(IllegalTransition):
        journal.transition(tx.id, S.CREATED, expect=S.SENT)
    assert journal.get(tx.id) == before
    assert journal.integrity_check() == "ok"


def test_unknown_and_duplicate_transactions(journal):
    with pytest.raises(InputError) as info:
        journal.get("T-nope")
    assert info.value.code == "NOT_FOUND"
    with pytest.raises(InputError):
        journal.transition("T-nope", S.SENT, expect=S.CREATED)
    tx = journal.create(make_tx(idempotency_key="K1"))
    with pytest.raises(InputError) as info:
        journal.create(make_tx(payment_request_id=tx.payment_request_id))
    assert info.value.code == "DUPLICATE"
    with pytest.raises(InputError):
        journal.create(make_tx(idempotency_key="K1"))
    assert len(journal.transactions()) == 1
    assert journal.find(idempotency_key="K1").id == tx.id
    assert journal.find(payment_request_id=tx.payment_request_id).id == tx.id
    assert journal.find(idempotency_key="K2") is None


def test_listeners_run_after_commit(journal):
    observed = []

    def listener(event):
        # A separate connection sees the event row: the commit happened before the callback.
        other = sqlite3.connect(journal.path)
        try:
            row = other.execute("SELECT to_state FROM events WHERE seq=?", (event["seq"],)).fetchone()
            state = other.execute("SELECT state FROM transactions WHERE id=?", (event["txId"],)).fetchone()
        finally:
            other.close()
        observed.append((event["to"], row and row[0], state and state[0]))

    journal.subscribe(listener)
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.DECLINED, expect=S.CREATED, result_code="RISK_REJECT")
    journal.note(tx.id, "progress", attempt=1)
    assert observed == [("CREATED", "CREATED", "CREATED"), ("SENT", "SENT", "DECLINED"),
                        ("DECLINED", "DECLINED", "DECLINED"), ("", "", "DECLINED")]


def test_pending_lists_only_non_final(journal):
    created = journal.create(make_tx())
    sent = journal.create(make_tx())
    journal.transition(sent.id, S.SENT, expect=S.CREATED)
    inquiring = journal.create(make_tx())
    journal.transition(inquiring.id, S.SENT, S.UNKNOWN, S.INQUIRING, expect=S.CREATED)
    cancel = journal.create(make_tx())
    journal.transition(cancel.id, S.CANCEL_PENDING, expect=S.CREATED)
    approved = approved_tx(journal)
    declined = journal.create(make_tx())
    journal.transition(declined.id, S.SENT, S.DECLINED, expect=S.CREATED)
    void = approved_tx(journal)
    journal.transition(void.id, S.CANCEL_PENDING, expect=S.APPROVED)
    pending = [t.id for t in journal.pending()]
    assert pending == [created.id, sent.id, inquiring.id, cancel.id, void.id]
    assert approved.id not in pending and declined.id not in pending
    assert next(t.id for t in journal.transactions()) == void.id  # newest first


def test_refunds_move_the_payment(journal):
    tx = approved_tx(journal, 1000)
    r1 = journal.create_refund(make_refund(tx, 300))
    assert journal.pending_refunds()[0].id == r1.id
    done = journal.finish_refund(r1.id, REFUND_SUCCESS, tx_state=S.PARTIALLY_REFUNDED, result_code="SUCCESS")
    assert done.state == REFUND_SUCCESS and done.final_at and done.batch_id and done.result_code == "SUCCESS"
    got = journal.get(tx.id)
    assert got.state is S.PARTIALLY_REFUNDED and got.refunded().minor == 300
    r2 = journal.create_refund(make_refund(tx, 200))
    journal.finish_refund(r2.id, REFUND_FAIL, result_code="REFUND_AMOUNT_EXCEED")
    assert journal.get(tx.id).state is S.PARTIALLY_REFUNDED
    assert journal.get(tx.id).refunded().minor == 300
    r3 = journal.create_refund(make_refund(tx, 700))
    journal.finish_refund(r3.id, REFUND_SUCCESS, tx_state=S.REFUNDED)
    got = journal.get(tx.id)
    assert got.state is S.REFUNDED and got.refunded().minor == 1000
    assert [r.state for r in got.refunds] == [REFUND_SUCCESS, REFUND_FAIL, REFUND_SUCCESS]
    assert journal.pending_refunds() == []
    assert [r["amount"]["value"] for r in got.to_api()["refunds"]] == ["300", "200", "700"]


# Regression: finish_refund(..., refund_id=...) used to collide with the row-id parameter (TypeError).
def test_finish_refund_records_the_acquirer_refund_id(journal):
    tx = approved_tx(journal, 1000)
    refund = journal.create_refund(make_refund(tx, 1000))
    done = journal.finish_refund(refund.id, REFUND_SUCCESS, tx_state=S.REFUNDED, result_code="SUCCESS",
                                 refund_id="RF-ACQ-1")
    assert done.refund_id == "RF-ACQ-1"
    assert journal.get(tx.id).state is S.REFUNDED


def test_refund_on_non_captured_payment_rolls_back(journal):
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.DECLINED, expect=S.CREATED)
    refund = journal.create_refund(make_refund(tx, 100))
    with pytest.raises(IllegalTransition):
        journal.finish_refund(refund.id, REFUND_SUCCESS, tx_state=S.REFUNDED)
    assert journal.pending_refunds()[0].state == REFUND_PENDING  # the refund row did not change either
    assert journal.get(tx.id).state is S.DECLINED


def test_refund_needs_an_existing_payment(journal):
    tx = make_tx()
    with pytest.raises(Exception):
        journal.create_refund(make_refund(tx, 100))  # foreign key
    assert journal.pending_refunds() == []


def test_batches(journal):
    first = journal.open_batch()
    assert first["state"] == "OPEN" and journal.open_batch()["id"] == first["id"]
    tx = approved_tx(journal)
    assert tx.batch_id == first["id"]
    declined = journal.create(make_tx())
    journal.transition(declined.id, S.SENT, S.DECLINED, expect=S.CREATED)
    txs, refunds = journal.batch_contents(first["id"])
    assert [t.id for t in txs] == [tx.id] and refunds == []
    journal.close_batch(first["id"], {"matched": True})
    second = journal.open_batch()
    assert second["id"] != first["id"]
    later = approved_tx(journal)
    assert later.batch_id == second["id"]
    states = {b["id"]: b["state"] for b in journal.batches()}
    assert states == {first["id"]: "CLOSED", second["id"]: "OPEN"}


def test_rows_survive_reopening(tmp_path):
    path = tmp_path / "journal.db"
    j = Journal(path)
    tx = approved_tx(j)
    refund = j.create_refund(make_refund(tx, 100))
    j.close()
    j2 = Journal(path)
    try:
        got = j2.get(tx.id)
        assert got.state is S.APPROVED and got.payment_id == "P-1" and got.refunds[0].id == refund.id
        last = j2.events_since(0)[-1]["seq"]
        nxt = j2.create(make_tx())
        assert j2.events_since(last)[0]["txId"] == nxt.id
    finally:
        j2.close()


def test_unopenable_journal_is_a_fault(tmp_path):
    path = tmp_path / "journal.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(FaultError) as info:
        Journal(path)
    assert "diagnose" in info.value.message


_CHILD = textwrap.dedent("""
    import sys
    from terminal.journal import Journal
    from terminal.states import TxState
    sys.path.insert(0, sys.argv[2])
    from journal_helpers import make_tx
    j = Journal(sys.argv[1])
    tx = j.create(make_tx(777, id="T-killed"))
    j.transition(tx.id, TxState.SENT, TxState.APPROVED, expect=TxState.CREATED, result_code="SUCCESS")
    j.note(tx.id, "last", n=1)
    print("committed", flush=True)
    sys.stdin.read()   # block until killed; the parent never writes
""")


def test_committed_rows_survive_sigkill(tmp_path):
    path = tmp_path / "journal.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(Path(__file__).parent)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "committed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdin.close()
        child.stdout.close()
    j = Journal(path)
    try:
        assert j.integrity_check() == "ok"
        got = j.get("T-killed")
        assert got.state is S.APPROVED and got.amount_minor == 777 and got.final_at
        assert [e["kind"] for e in j.events_since(0)] == ["state", "state", "state", "last"]
    finally:
        j.close()


def test_void_clears_then_sets_final_at(journal):
    tx = approved_tx(journal)
    approved_at = journal.get(tx.id).final_at
    voiding = journal.transition(tx.id, S.CANCEL_PENDING, expect=S.APPROVED)
    assert voiding.final_at == ""            # not final: a void is in progress
    assert voiding.to_api()["finalAt"] == ""
    cancelled = journal.transition(tx.id, S.CANCELLED, expect=S.CANCEL_PENDING)
    assert cancelled.final_at and cancelled.final_at >= approved_at


def test_fresh_journal_side_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        j = Journal(tmp_path / "journal.db")
        j.create(make_tx())
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        j.close()
    finally:
        os.umask(old)
    assert modes == {"journal.db": 0o600, "journal.db-wal": 0o600, "journal.db-shm": 0o600}


def test_a_writer_after_close_gets_a_clear_fault_and_the_file_stays_whole(tmp_path):
    """A sale whose answer comes after the terminal closed (issue #13 item 10): its writes and
    reads are refused with JOURNAL_CLOSED (a FaultError its thread handles), never a sqlite3
    error; what it could not write is what recovery reads at the next start."""
    path = tmp_path / "state" / "journal.db"
    journal = Journal(path)
    tx = journal.create(make_tx())
    journal.close()
    journal.close()                                   # twice is harmless (close paths overlap)
    late = [lambda: journal.transition(tx.id, S.SENT, S.APPROVED, expect=S.CREATED),
            lambda: journal.note(tx.id, "checkout", state="RESULT", durable=False),
            lambda: journal.create(make_tx()), lambda: journal.get(tx.id), lambda: journal.pending()]
    for call in late:
        with pytest.raises(FaultError) as err:
            call()
        assert err.value.code == "JOURNAL_CLOSED" and "shutting down" in err.value.message
    reopened = Journal(path)
    try:
        assert reopened.integrity_check() == "ok"
        assert [t.state for t in reopened.pending()] == [S.CREATED]     # for the inquiry at start
    finally:
        reopened.close()
