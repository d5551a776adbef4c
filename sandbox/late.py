"""Requests held on their way to the acquirer (the `late_delivery` fault switch).

A proxy or a retrying load balancer can hold a pay request while the terminal, which saw its
connection fail, has already resolved the payment. The sandbox plays that: the client's
connection is dropped at once, and the request reaches the acquirer later, right after the
acquirer has accepted a cancelPayment for the same paymentRequestId (the dangerous order),
or when the hold time runs out, whichever comes first. Every delivery is recorded so a test
can wait for it on a condition instead of sleeping.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Delivery:
    endpoint: str
    payment_request_id: str | None
    held_s: float
    released_by: str = ""           # "cancel" | "timeout"
    result_code: str | None = None  # what the acquirer answered (nobody receives it)
    delivered: bool = False

    def to_dict(self) -> dict:
        return {"endpoint": self.endpoint, "paymentRequestId": self.payment_request_id,
                "heldS": round(self.held_s, 3), "releasedBy": self.released_by,
                "resultCode": self.result_code, "delivered": self.delivered}


@dataclass
class LateDeliveries:
    """Held requests and their release: thread-safe, in memory (faults are not persisted)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiting: dict[str, list[asyncio.Event]] = field(default_factory=dict)
    _log: list[Delivery] = field(default_factory=list)
    _tasks: set = field(default_factory=set)

    def hold(self, *, endpoint: str, body: bytes, max_s: float, deliver: Callable[[], Awaitable[object]]) -> None:
        """Schedule `deliver()` (a coroutine function returning the answer body) for later."""
        prid = _request_id(body)
        record = Delivery(endpoint, prid, 0.0)
        event = asyncio.Event()
        with self._lock:
            self._log.append(record)
            if prid:
                self._waiting.setdefault(prid, []).append(event)
        task = asyncio.get_running_loop().create_task(self._later(record, event, max_s, deliver))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, record: Delivery, event: asyncio.Event, max_s: float,
                     deliver: Callable[[], Awaitable[object]]) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(event.wait(), timeout=max_s)
            record.released_by = "cancel"
        except TimeoutError:
            record.released_by = "timeout"
        with self._lock:
            waiting = self._waiting.get(record.payment_request_id or "", [])
            if event in waiting:
                waiting.remove(event)
        record.held_s = time.monotonic() - started
        answer = await deliver()
        result = answer.get("result") if isinstance(answer, dict) else None
        record.result_code = result.get("resultCode") if isinstance(result, dict) else None
        record.delivered = True

    def cancelled(self, body: bytes) -> None:
        """A cancelPayment was accepted: release what is held for the same request id."""
        prid = _request_id(body)
        with self._lock:
            events = list(self._waiting.get(prid or "", []))
        for event in events:
            event.set()

    def list(self) -> list[dict]:
        with self._lock:
            return [d.to_dict() for d in self._log]


def _request_id(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("paymentRequestId") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
