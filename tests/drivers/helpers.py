"""Shared test helpers: collect scanner callbacks and wait on them with bounded timeouts."""
from __future__ import annotations

import queue
import threading

from drivers.scanners import ScannerState

TIMEOUT = 5.0  # generous bound for a loaded CI machine; never a measurement


class Collector:
    """Records scans and state changes from a scanner's worker thread."""

    def __init__(self) -> None:
        self.scans: queue.Queue[str] = queue.Queue()
        self.states: list[ScannerState] = []
        self._cond = threading.Condition()

    def on_scan(self, code: str) -> None:
        self.scans.put(code)

    def on_state(self, state: ScannerState) -> None:
        with self._cond:
            self.states.append(state)
            self._cond.notify_all()

    def next_scan(self, timeout: float = TIMEOUT) -> str:
        return self.scans.get(timeout=timeout)

    def no_more_scans(self) -> bool:
        return self.scans.empty()

    def wait_state(self, state: ScannerState, *, after: int = 0,
                   timeout: float = TIMEOUT) -> int:
        """Wait until ``state`` appears at or after index ``after``; returns its index."""
        with self._cond:
            ok = self._cond.wait_for(lambda: state in self.states[after:], timeout)
            assert ok, f"state {state} not reached; states so far: {self.states}"
            return self.states.index(state, after)
