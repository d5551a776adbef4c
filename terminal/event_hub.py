"""The terminal's event fan-out: every journal event (state changes, checkout, progress,
faults) to every listener (the UI, SSE clients, the event log, the fleet agent), in journal
order. A listener that raises is logged and skipped: it never breaks a payment."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("terminal.events")
Listener = Callable[[dict], None]


class EventHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it (idempotent)."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def emit(self, event: dict) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must never break a payment
                log.exception("event listener failed")
