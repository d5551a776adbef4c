"""A fake acquirer transport for unit tests of the payment, resolution and refund logic.

It stands where `AcquirerClient` stands (its one method, `call`), answers from a script per
endpoint and records every request, so a test can say exactly what the acquirer answered and
check what the terminal sent, in what order, and what it had journalled at that moment.
"""
from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from terminal.acquirer import AcquirerResult

Answer = AcquirerResult | Callable[[dict], AcquirerResult]


def ok(code: str = "SUCCESS", **body: Any) -> AcquirerResult:
    return AcquirerResult("S", code, body=body, verified=True)


def fail(code: str, **body: Any) -> AcquirerResult:
    return AcquirerResult("F", code, body=body, verified=True)


def unknown(code: str = "TRANSPORT_TIMEOUT") -> AcquirerResult:
    return AcquirerResult("U", code, transport_error=code)


@dataclass
class Sent:
    path: str
    body: dict
    journal_state: str | None      # the transaction's journalled state when the request left


@dataclass
class FakeAcquirer:
    journal: Any = None            # when given, each request records the journalled state then
    script: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    sent: list[Sent] = field(default_factory=list)

    def answer(self, path: str, *answers: Answer) -> FakeAcquirer:
        """Answers to give, in order, for `path`; the last one repeats."""
        self.script[path].extend(answers)
        return self

    def call(self, path: str, body: dict, *, echo: dict | None = None, credentials=None) -> AcquirerResult:
        state = None
        if self.journal is not None and "paymentRequestId" in body:
            row = self.journal.find(payment_request_id=body["paymentRequestId"])
            state = row.state.value if row is not None else None
        self.sent.append(Sent(path, body, state))
        queue = self.script.get(path)
        if not queue:
            raise AssertionError(f"the test did not script an answer for {path}")
        answer = queue.popleft() if len(queue) > 1 else queue[0]
        return answer(body) if callable(answer) else answer

    def paths(self) -> list[str]:
        return [s.path for s in self.sent]
