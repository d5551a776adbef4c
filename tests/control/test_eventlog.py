"""The diffable event log: every state change with its transaction id and sequence number."""
from __future__ import annotations

import json
import logging
import re
import threading

from terminal.control.wiring import EventLog

from .conftest import code_for, serve_terminal, stop_served


def run_once(config_path, log_path):
    served = serve_terminal(config_path, event_log=log_path)
    try:
        client = served.client()
        for suffix in ("0000", "0051", "0091"):
            tx = client.sale("3.00")
            client.scan(code_for(suffix))
            client.wait(tx)
    finally:
        stop_served(served)
    return [json.loads(line) for line in log_path.read_text().splitlines()]


def normalise(records):
    ids = {}
    text = json.dumps(records, sort_keys=True)
    return re.sub(r"\b(T|PR|O|B)[0-9a-f]{16,32}\b|SBXPAY[0-9]+",
                  lambda m: ids.setdefault(m.group(0), f"<id{len(ids)}>"), text)


def test_event_log_is_ordered_and_two_runs_diff_equal(tmp_path, sandbox):
    from tests.support import write_terminal_config

    a = run_once(write_terminal_config(tmp_path / "a", sandbox, control={"enabled": True}), tmp_path / "a.jsonl")
    b = run_once(write_terminal_config(tmp_path / "b", sandbox, control={"enabled": True}), tmp_path / "b.jsonl")
    for records in (a, b):
        seqs = [r["seq"] for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert all(set(r) == {"seq", "txId", "kind", "from", "to", "detail"} for r in records)
        assert not any(r["kind"] == "progress" for r in records)
    state_changes = [r for r in a if r["kind"] == "state"]
    assert [r["to"] for r in state_changes][:3] == ["CREATED", "SENT", "APPROVED"]
    assert all(r["txId"] for r in state_changes)
    # Same scenario, same log once ids are replaced (sequence numbers restart in a new state dir).
    assert normalise(a) == normalise(b)


def test_state_changes_are_logged_with_id_and_seq(caplog):
    log = EventLog()
    with caplog.at_level(logging.INFO, logger="terminal.events"):
        log({"seq": 7, "txId": "Tabc", "at": "x", "kind": "state", "from": "SENT", "to": "APPROVED",
             "detail": {"resultCode": "SUCCESS"}})
        log.close()     # written by the log's own thread: close() writes what is queued
    record = caplog.records[-1]
    assert record.seq == 7 and record.txId == "Tabc" and record.to == "APPROVED"
    assert "Tabc" in record.getMessage()


def test_a_slow_log_never_holds_up_the_thread_that_committed_the_event(tmp_path):
    """The listener runs in a request handler or the sale's worker, before the answer the cash
    register waits for: writing the log line (a slow disk, a blocked stderr) happens elsewhere."""
    release = threading.Event()
    seen: list[int] = []

    class Stuck(logging.Handler):
        def emit(self, record):
            release.wait(30)
            seen.append(record.seq)

    logger = logging.getLogger("terminal.events")
    handler, level = Stuck(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    log = EventLog(tmp_path / "events.jsonl")
    try:
        returned = threading.Event()
        caller = threading.Thread(target=lambda: (log(_event(1)), log(_event(2)), returned.set()))
        caller.start()
        assert returned.wait(10), "the committing thread waited for the log to be written"
        release.set()
    finally:
        release.set()
        log.close()
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert seen == [1, 2]
    assert [json.loads(line)["seq"] for line in (tmp_path / "events.jsonl").read_text().splitlines()] == [1, 2]


def _event(seq: int) -> dict:
    return {"seq": seq, "txId": "Tabc", "at": "x", "kind": "state", "from": "SENT", "to": "APPROVED",
            "detail": {"resultCode": "SUCCESS"}}


def test_events_arriving_together_are_written_in_one_pass_and_close_cuts_the_wait_short(tmp_path):
    """The writer gathers what comes within its linger (one wake-up for a sale's six events, not
    six), and close() writes everything queued at once instead of waiting out the linger."""
    passes: list[list] = []

    class Recording(EventLog):
        def _write_batch(self, batch):
            passes.append([event["seq"] if isinstance(event, dict) else "stop" for event in batch])
            return super()._write_batch(batch)

    log = Recording(tmp_path / "events.jsonl", linger_s=60)
    for seq in range(1, 6):
        log(_event(seq))
    closing = threading.Thread(target=log.close)
    closing.start()
    closing.join(10)
    assert not closing.is_alive(), "close() waited out the linger"
    assert passes == [[1, 2, 3, 4, 5, "stop"]]
    assert [json.loads(line)["seq"] for line in (tmp_path / "events.jsonl").read_text().splitlines()] == [1, 2, 3, 4, 5]
