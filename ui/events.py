"""Core events to the UI thread.

``Terminal.subscribe`` calls back on whatever worker thread made the change. The listener here
only takes a snapshot of what the UI will need (the checkout's result, read under the
checkout's own lock while it is consistent) and hands it to the Kivy thread with
``Clock.schedule_once``; events arrive in order because the Clock runs callbacks FIFO.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock

if TYPE_CHECKING:
    from terminal.checkout import Checkout
    from terminal.service import Terminal


@dataclass(frozen=True)
class CoreEvent:
    kind: str
    tx_id: str
    detail: dict
    state: str = ""          # checkout state for kind == "checkout"
    result: Any = None       # Transaction when state == RESULT
    error: Any = None        # TerminalError when the sale failed without a result
    pending: Any = None      # PendingSale when state == AWAITING_SCAN


class CoreEvents:
    def __init__(self, *, terminal: Terminal, checkout: Checkout, on_event: Callable[[CoreEvent], None]):
        self._checkout = checkout
        self._on_event = on_event
        self._unsubscribe = terminal.events.subscribe(self._listener)

    def _listener(self, event: dict) -> None:  # worker thread
        detail = dict(event.get("detail") or {})
        kind = event.get("kind", "")
        ev = CoreEvent(kind=kind, tx_id=event.get("txId", ""), detail=detail)
        if kind == "checkout":
            state = detail.get("state", "")
            c = self._checkout
            ev = CoreEvent(kind=kind, tx_id=ev.tx_id, detail=detail, state=state,
                           result=c.result if state == "RESULT" else None,
                           error=c.error if state == "RESULT" else None,
                           pending=c.pending if state == "AWAITING_SCAN" else None)
        elif event.get("to"):
            detail.setdefault("to", event["to"])
        Clock.schedule_once(lambda _dt: self._on_event(ev), 0)

    def close(self) -> None:
        try:
            self._unsubscribe()
        except ValueError:
            pass
