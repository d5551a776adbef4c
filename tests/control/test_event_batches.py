"""EventStream (terminal/control/events.py) writes what is already queued as one chunk (one
commit's events: SENT and APPROVED, then the checkout's RESULT) and still never reorders,
repeats or loses an event when the queue holds them out of order."""
from __future__ import annotations

import asyncio
import json

from terminal.control.events import EventStream


def _event(seq: int) -> dict:
    return {"seq": seq, "txId": "T1", "at": "", "kind": "state", "from": "", "to": str(seq), "detail": {}}


def _seqs(chunk: str) -> list[int]:
    return [json.loads(line[len("data: "):])["seq"] for line in chunk.splitlines() if line.startswith("data: ")]


def _stream(journal: list[dict]) -> EventStream:
    return EventStream(history=lambda after, limit: [e for e in journal if e["seq"] > after][:limit],
                       last_seq=lambda: 0, subscribe=lambda listener: (lambda: None), after=0,
                       heartbeat_s=30, queue_size=100)


def test_events_already_queued_go_out_in_one_chunk_in_order():
    async def run() -> list[str]:
        stream = _stream([])
        chunks = stream.stream()
        assert (await chunks.__anext__()).startswith("retry:")      # subscribed, nothing in the journal
        for seq in (1, 2, 3):
            stream._offer(_event(seq))
        first = await chunks.__anext__()
        stream._offer(_event(4))
        return [first, await chunks.__anext__()]

    first, second = asyncio.run(run())
    assert _seqs(first) == [1, 2, 3] and _seqs(second) == [4]


def test_out_of_order_in_one_batch_is_caught_up_from_the_journal_without_repeats():
    async def run() -> list[int]:
        journal = [_event(seq) for seq in (1, 2, 3, 4)]
        stream = _stream([])
        chunks = stream.stream()
        await chunks.__anext__()
        stream._history = lambda after, limit: [e for e in journal if e["seq"] > after][:limit]
        for seq in (1, 3, 2, 4):          # two core threads notified out of order
            stream._offer(_event(seq))
        seen: list[int] = []
        while len(seen) < 4:
            seen += _seqs(await chunks.__anext__())
        stream._offer(_event(4))          # late duplicate: skipped
        stream._offer(_event(5))
        seen += _seqs(await chunks.__anext__())
        return seen

    assert asyncio.run(run()) == [1, 2, 3, 4, 5]


def test_an_overflow_during_a_catch_up_read_is_caught_up_too():
    """Field bug (CI, 48 of 50 events): the queue overflowed while a catch-up was being read from the
    journal; what stayed queued was already sent, so nothing new arrived to notice the drop, and the
    last events waited for the next sale. The journal holds 1..5 (4 and 5 not yet notified)."""
    journal = [_event(seq) for seq in (1, 2, 3, 4, 5)]

    async def run() -> list[int]:
        loop = asyncio.get_running_loop()
        reads: list[int] = []

        def history(after: int, limit: int) -> list[dict]:       # on a worker thread
            page = [e for e in journal if e["seq"] > after][:limit]
            reads.append(after)
            if len(reads) == 2:              # the first catch-up: a commit lands while it is read
                journal.append(_event(6))
                for seq in (4, 5, 6):        # queue of 2: 6 is dropped
                    stream._listener(_event(seq))
                asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(timeout=10)
            return page

        stream = EventStream(history=lambda after, limit: [], last_seq=lambda: 0,
                             subscribe=lambda listener: (lambda: None), after=0, heartbeat_s=0.5,
                             queue_size=2)
        chunks = stream.stream()
        assert (await chunks.__anext__()).startswith("retry:")
        stream._history = history
        for seq in (1, 2, 3):                # queue of 2: 3 is dropped
            stream._offer(_event(seq))
        seen: list[int] = []
        while len(seen) < 6:
            chunk = await chunks.__anext__()
            assert not chunk.startswith(": keepalive"), f"stream stalled after {seen}: 6 is in the journal"
            seen += _seqs(chunk)
        return seen

    assert asyncio.run(run()) == [1, 2, 3, 4, 5, 6]
