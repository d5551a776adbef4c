"""GET /v1/events: every event once, in sequence order, resumable from Last-Event-ID / ?after=."""
from __future__ import annotations

import json
import time

import requests

from .conftest import code_for


def read_events(served, *, until_seq: int, headers: dict | None = None, query: str = "") -> list[dict]:
    """Events of one stream up to `until_seq` (bounded by the read timeout, never a sleep)."""
    out = []
    with requests.get(f"{served.url}/v1/events{query}", headers={**served.headers(), **(headers or {})},
                      stream=True, timeout=(5, 20)) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event_id = None
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                event = json.loads(line[6:])
                assert event["seq"] == event_id
                out.append(event)
                if event["seq"] >= until_seq:
                    return out
    raise AssertionError("stream ended early")


def approve_one(client, suffix="0000"):
    tx = client.sale("5.00")
    client.scan(code_for(suffix))
    return client.wait(tx)


def test_events_are_ordered_complete_and_carry_state_changes(served, client):
    tx = approve_one(client, "0091")
    last = served.terminal.events.last_seq()
    events = read_events(served, until_seq=last, query="?after=0")
    assert [e["seq"] for e in events] == list(range(1, last + 1))       # monotonic, no gaps, no repeats
    mine = [(e["kind"], e["to"] or e["detail"].get("state")) for e in events if e["txId"] == tx.id
            and e["kind"] in ("state", "checkout")]
    assert mine[0] == ("checkout", "AWAITING_SCAN") and mine[-1] == ("checkout", "RESULT")
    states = [to for kind, to in mine if kind == "state"]
    assert states == ["CREATED", "SENT", "UNKNOWN", "INQUIRING", "APPROVED"]
    assert any(e["kind"] == "progress" for e in events)


def test_resume_from_last_event_id_and_after(served, client):
    approve_one(client)
    middle = served.terminal.events.last_seq()
    approve_one(client, "0051")
    last = served.terminal.events.last_seq()
    everything = read_events(served, until_seq=last, query="?after=0")
    by_header = read_events(served, until_seq=last, headers={"Last-Event-ID": str(middle)})
    by_query = read_events(served, until_seq=last, query=f"?after={middle}")
    assert by_header == by_query == [e for e in everything if e["seq"] > middle]
    # A reconnecting EventSource sends the header with its original URL: the header wins.
    both = read_events(served, until_seq=last, headers={"Last-Event-ID": str(middle)}, query="?after=0")
    assert both[0]["seq"] == middle + 1


def test_live_stream_then_reconnect_misses_nothing(served, client):
    with client.events(timeout=20) as stream:      # subscribed: from now on
        tx = client.sale("1.00")
        client.scan(code_for("0000"))
        seen = []
        for event in stream:
            seen.append(event.to_dict())
            if event.kind == "checkout" and event.detail.get("state") == "RESULT":
                break
    assert {e["txId"] for e in seen} == {tx.id}
    assert [e["seq"] for e in seen] == list(range(seen[0]["seq"], seen[-1]["seq"] + 1))
    # Disconnected now; more happens; the client resumes from the last id it saw.
    client.cancel(client.sale("2.00"))
    last = served.terminal.events.last_seq()
    resumed = read_events(served, until_seq=last, headers={"Last-Event-ID": str(seen[-1]["seq"])})
    assert resumed[0]["seq"] == seen[-1]["seq"] + 1 and resumed[-1]["seq"] == last
    assert resumed[-1]["detail"].get("aborted") is True


def test_a_slow_reader_overflowing_its_queue_still_gets_everything_in_order(config_path):
    """A queue of 2 and a burst of 50 events posted before the loop can forward them."""
    from terminal.checkout import Checkout
    from terminal.control import ControlServer, create_app
    from tests.support import build

    terminal = build(config_path)
    try:
        checkout = Checkout(terminal=terminal)
        app = create_app(terminal=terminal, checkout=checkout, token="t" * 64, scans_enabled=True,
                         event_queue_size=2, heartbeat_s=0.5)
        with ControlServer(app) as server:
            headers = {"Authorization": "Bearer " + "t" * 64}
            with requests.get(f"{server.url}/v1/events", headers=headers, stream=True, timeout=(5, 20)) as r:
                lines = r.iter_lines(decode_unicode=True)
                assert next(lines).startswith("retry:")          # subscribed
                for i in range(50):                              # a burst while nobody reads
                    terminal.events.note_checkout(f"T{i}", "IDLE", n=i)
                seqs = []
                # Heartbeats every 0.5 s keep the read timeout from firing, so a lost event would
                # wait forever: bound the whole read (generous: a condition, not a timing check).
                deadline = time.monotonic() + 60
                for line in lines:
                    if line.startswith("data: "):
                        seqs.append(json.loads(line[6:])["seq"])
                        if len(seqs) == 50:
                            break
                    assert time.monotonic() < deadline, f"events lost: got {seqs} of 1..50"
            assert seqs == list(range(1, 51))
    finally:
        terminal.close()


def test_heartbeats_keep_an_idle_stream_alive(served):
    with requests.get(f"{served.url}/v1/events", headers=served.headers(), stream=True, timeout=(5, 10)) as r:
        comments = 0
        for line in r.iter_lines(decode_unicode=True):
            if line == ": keepalive":
                comments += 1
                if comments == 2:
                    break
    assert comments == 2
