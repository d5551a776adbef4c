"""Answers held back (the `hold_answer` fault switch).

The acquirer has processed and committed the request (the customer is charged, say), but its
answer waits on an event, as an answer stuck in a slow network would, until a test or rig
releases it (`POST /admin/held/release`, `EmbeddedSandbox.release_held()`) or `seconds` run
out. A test can then close a terminal while its request is provably still in flight: the
event is set only by a release or the timeout, and each hold records which one it was.
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from .late import _request_id


@dataclass
class HeldAnswer:
    endpoint: str
    payment_request_id: str | None
    event: asyncio.Event
    loop: asyncio.AbstractEventLoop
    released_by: str = ""            # "" while held, then "release" | "timeout" | "shutdown"

    def to_dict(self) -> dict:
        return {"endpoint": self.endpoint, "paymentRequestId": self.payment_request_id,
                "held": not self.released_by, "releasedBy": self.released_by}


@dataclass
class HeldAnswers:
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _held: list[HeldAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    async def hold(self, *, endpoint: str, body: bytes, max_s: float) -> None:
        """Wait (on the server's loop) until released or `max_s` pass."""
        held = HeldAnswer(endpoint, _request_id(body), asyncio.Event(), asyncio.get_running_loop())
        with self._changed:
            self._held.append(held)
            self._changed.notify_all()
        outcome = "shutdown"             # the server stopped while holding it
        try:
            await asyncio.wait_for(held.event.wait(), timeout=max_s)
            outcome = "release"
        except TimeoutError:
            outcome = "timeout"
        finally:
            with self._changed:
                held.released_by = outcome
                self._changed.notify_all()

    def release(self) -> int:
        """Let every held answer go; returns how many were held."""
        with self._lock:
            waiting = [h for h in self._held if not h.released_by]
        for held in waiting:
            held.loop.call_soon_threadsafe(held.event.set)
        return len(waiting)

    def wait_held(self, count: int = 1, *, timeout_s: float = 30.0) -> bool:
        """Block until at least `count` answers are being held (a bounded wait on a condition)."""
        with self._changed:
            return self._changed.wait_for(lambda: sum(not h.released_by for h in self._held) >= count,
                                          timeout=timeout_s)

    def list(self) -> list[dict]:
        with self._lock:
            return [h.to_dict() for h in self._held]
