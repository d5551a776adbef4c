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
