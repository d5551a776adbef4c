"""Server-Sent Events over the journal's event rows (terminal-interfaces.md §2 `GET /v1/events`).

Every event (state change, checkout state, progress, fault) is a journal row with a persistent,
monotonic `seq`, sent as the SSE `id`, so a client that reconnects with `Last-Event-ID` (or
`?after=`) gets exactly what it missed, from the journal, then the live stream.

Live events reach a connection through a bounded queue fed from the core's threads. Order and
completeness never depend on that queue: an event that is not the next expected one (a slow
consumer overflowed the queue, or two threads notified out of order) makes the stream catch up
from the journal instead, and anything already sent is skipped.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("terminal.control.events")

PAGE = 500
MAX_SEQ = 2**63 - 1          # SQLite's INTEGER: a larger position cannot exist
_POSITION = re.compile(r"[0-9]{1,19}")


class BadPosition(ValueError):
    """A resume position (Last-Event-ID or ?after=) that is not a sequence number."""


def parse_position(after: str | None, last_event_id: str | None) -> int | None:
    """Where a stream resumes: Last-Event-ID (a reconnecting EventSource) wins over ?after=;
    None means live events only. Both are the `id:` of an event received: ASCII digits."""
    for name, raw in (("Last-Event-ID", last_event_id), ("after", after)):
        if raw is None or (name == "Last-Event-ID" and not raw.strip()):
            continue
        text = raw.strip()
        if not _POSITION.fullmatch(text) or int(text) > MAX_SEQ:
            shown = text[:20] + ("..." if len(text) > 20 else "")
            raise BadPosition(f"{name} = {shown!r}: expected the id of an event received, a whole number "
                              f"from 0 to {MAX_SEQ} in ASCII digits (e.g. {name}: 42)")
        return int(text)
    return None


def encode(event: dict) -> str:
    return f"id: {event['seq']}\ndata: {json.dumps(event, separators=(',', ':'), sort_keys=True)}\n\n"


class EventStream:
    """One SSE connection: catch-up from the journal after `after`, then live events."""

    def __init__(self, *, history: Callable[[int, int], list[dict]], last_seq: Callable[[], int],
                 subscribe: Callable[[Callable[[dict], None]], Callable[[], None]], after: int | None, heartbeat_s: float, queue_size: int):
        self._history = history      # events after a sequence number, oldest first (the journal's)
        self._last_seq = last_seq
        self._subscribe = subscribe
        self._after = after
        self.heartbeat_s = heartbeat_s
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=queue_size)
        self._overflowed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def _offer(self, event: dict) -> None:   # on the event loop
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True           # dropped: the journal has it; catch up from there

    def _listener(self, event: dict) -> None:  # on a core thread
        assert self._loop is not None, "stream() sets the loop before it subscribes"
        try:
            self._loop.call_soon_threadsafe(self._offer, event)
        except RuntimeError:                  # the connection's loop is gone
            pass

    async def _from_journal(self, last: int) -> AsyncIterator[dict]:
        while True:
            page = await run_in_threadpool(self._history, last, PAGE)
            for event in page:
                yield event
                last = event["seq"]
            if len(page) < PAGE:
                return

    async def stream(self) -> AsyncIterator[str]:
        self._loop = asyncio.get_running_loop()
        unsubscribe = self._subscribe(self._listener)   # before reading the journal: nothing falls between
        try:
            last = self._after if self._after is not None else await run_in_threadpool(self._last_seq)
            # A comment first: once a client has read it, it is subscribed (no event can be missed).
            yield f"retry: 2000\n: stream open after {last}\n\n"
            async for event in self._from_journal(last):
                yield encode(event)
                last = event["seq"]
            while True:
                try:
                    async with asyncio.timeout(self.heartbeat_s):   # no task per wait (wait_for made one)
                        ready = [await self._queue.get()]
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                while not self._queue.empty():       # what one commit emitted comes together: one write
                    ready.append(self._queue.get_nowait())
                chunk: list[str] = []
                behind = False
                for event in ready:
                    if event["seq"] <= last:
                        continue
                    if event["seq"] != last + 1:     # two threads notified out of order
                        behind = True
                        break
                    chunk.append(encode(event))
                    last = event["seq"]
                if chunk:
                    yield "".join(chunk)
                # A gap, or an event dropped by a full queue (perhaps while the last catch-up was being
                # read, so that what is queued now is all old): the journal has everything, in order.
                if behind or self._overflowed:
                    self._overflowed = False
                    self._drain()
                    async for missed in self._from_journal(last):
                        yield encode(missed)
                        last = missed["seq"]
        finally:
            unsubscribe()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
