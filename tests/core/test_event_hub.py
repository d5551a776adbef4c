"""The event fan-out: listeners in order, a broken one skipped, background hand-offs heard last."""
from __future__ import annotations

from terminal.event_hub import EventHub


def test_listeners_that_hand_off_to_their_own_thread_are_called_after_the_others():
    """The event log and the receipt printer (last=True) each wake a thread that then competes
    for the interpreter; the SSE connection forwarding a sale's RESULT must be woken first, even
    though it subscribed after them (a cash register connects after the terminal started)."""
    hub, heard = EventHub(), []
    hub.subscribe(lambda e: heard.append(("log", e["seq"])), last=True)
    hub.subscribe(lambda e: heard.append(("printer", e["seq"])), last=True)
    hub.subscribe(lambda e: heard.append(("sse", e["seq"])))
    hub.emit({"seq": 1})
    assert heard == [("sse", 1), ("log", 1), ("printer", 1)]


def test_a_broken_listener_is_skipped_and_unsubscribe_removes_either_kind():
    hub, heard = EventHub(), []

    def broken(event):
        raise RuntimeError("listener bug")

    hub.subscribe(broken)
    stop_last = hub.subscribe(lambda e: heard.append("last"), last=True)
    stop_first = hub.subscribe(lambda e: heard.append("first"))
    hub.emit({"seq": 1})
    stop_last()
    stop_last()          # idempotent
    hub.emit({"seq": 2})
    stop_first()
    hub.emit({"seq": 3})
    assert heard == ["first", "last", "first"]
