"""The virtual scanner: codes come from the program itself (demo app, control API, tests)."""
from __future__ import annotations

import queue
from typing import Any

from .base import Scanner, ScannerState


class VirtualScanner(Scanner):
    """``inject(code)`` delivers a scan from the worker thread, exactly as a real scanner does
    (same callback thread, same debounce). Injections before ``start`` wait in the queue.
    ``fail(message)`` / ``recover()`` simulate a device fault for UI and rig tests."""

    kind = "virtual"

    def __init__(self, *, debounce_s: float = 0.0, **kwargs: Any) -> None:
        super().__init__(debounce_s=debounce_s, **kwargs)
        self._queue: queue.Queue[str | None] = queue.Queue()

    def inject(self, code: str) -> None:
        if not isinstance(code, str):
            raise TypeError("inject() takes the scanned text as str")
        if self._state is ScannerState.FAULT:  # a faulty scanner reads nothing
            self._drop("scan injected while the virtual scanner is in FAULT")
            return
        self._queue.put(code)

    def fail(self, message: str = "virtual scanner fault (injected)") -> None:
        self._set_state(ScannerState.FAULT, message)

    def recover(self) -> None:
        self._set_state(ScannerState.READY)

    @property
    def where(self) -> str:
        return "virtual"

    def _run(self) -> None:
        self._set_state(ScannerState.READY)
        while not self._stop.is_set():
            code = self._queue.get()
            if code is None:  # stop() wakes us; a stale wake-up from an earlier stop is ignored
                if self._stop.is_set():
                    break
                continue
            self._deliver(code)

    def _interrupt(self) -> None:
        self._queue.put(None)
