"""The terminal's event fan-out: every journal event (state changes, checkout, progress,
faults) to every listener (the UI, SSE clients, the event log, the fleet agent), in journal
order. A listener that raises is logged and skipped: it never breaks a payment.

`EventFeed` is what the front ends see of it (`terminal.events`): subscribe, catch up from a
position (an SSE client reconnecting), and the checkout's own notes in the same ordered stream.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger("terminal.events")
Listener = Callable[[dict], None]


class EventHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._last: list[Listener] = []       # background work: heard after everyone else
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener, *, last: bool = False) -> Callable[[], None]:
        """Add a listener; returns the function that removes it (idempotent).

        last=True: a listener that starts work of its own in another thread (the event log, the
        receipt printer) is called after the others. Each wakes a thread that then wants the
        interpreter; woken first, they ran before the event loop that forwards the event to
        the cash register waiting for it (the sale's RESULT over SSE)."""
        with self._lock:
            (self._last if last else self._listeners).append(listener)

        def unsubscribe() -> None:
            with self._lock:
                for group in (self._listeners, self._last):
                    if listener in group:
                        group.remove(listener)
        return unsubscribe

    def emit(self, event: dict) -> None:
        with self._lock:
            listeners = [*self._listeners, *self._last]
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must never break a payment
                log.exception("event listener failed")


class EventFeed:
    def __init__(self, *, hub: EventHub, journal: Journal):
        self._hub = hub
        self._journal = journal

    def subscribe(self, listener: Listener, *, last: bool = False) -> Callable[[], None]:
        """Every journal event from now on, in order; returns the unsubscribe function.
        last=True for a listener that only hands events to a thread of its own (EventHub)."""
        return self._hub.subscribe(listener, last=last)

    def last_seq(self) -> int:
        """The position of the newest journalled event (0: none yet)."""
        return self._journal.last_seq()

    def since(self, seq: int, limit: int = 1000) -> list[dict]:
        """Journalled events after `seq`, oldest first (an SSE client catching up)."""
        return self._journal.events_since(seq, limit)

    def note_checkout(self, tx_id: str, state: str, **detail: Any) -> None:
        """The checkout's state as an event (no money moves: committed without fsync; the next
        money commit makes it durable)."""
        self._journal.note(tx_id, "checkout", state=state, durable=False, **detail)

    def note_scan_rejected(self, tx_id: str, reason: str) -> None:
        """A scan that is not a payment code while a sale waits: the reason only, never the text."""
        self._journal.note(tx_id, "scan_rejected", reason=reason)
