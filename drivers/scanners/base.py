"""The scanner interface: start/stop, scans by callback from a worker thread, health, state.

A scanner delivers plain strings (normalised: no suffix, no control characters) and knows
nothing of payments. Callbacks run on the scanner's worker thread; a UI hands them over to its
own thread. A callback that raises is logged (without the scanned text) and the worker goes on.
"""
from __future__ import annotations

import abc
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..masking import mask

log = logging.getLogger("drivers.scanners")

OnScan = Callable[[str], None]
OnState = Callable[["ScannerState"], None]


class ScannerState(str, enum.Enum):
    STOPPED = "STOPPED"
    CONNECTING = "CONNECTING"
    READY = "READY"
    DISCONNECTED = "DISCONNECTED"  # lost; reconnecting with backoff
    FAULT = "FAULT"  # cannot work until a person acts (see health().message)


@dataclass(frozen=True)
class ScannerHealth:
    """A snapshot for diagnose / status screens. ``message`` says what to do when not ok."""

    kind: str
    state: ScannerState
    where: str = ""
    scans: int = 0
    dropped: int = 0
    message: str = ""
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state is ScannerState.READY


class Debouncer:
    """The same code again within ``window_s`` is the same scan (a camera sees it for seconds;
    a serial scanner in continuous mode repeats it). Only the last code is remembered, and
    only as long as needed to compare it."""

    def __init__(self, window_s: float = 2.0, *, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._last: str | None = None
        self._last_t = 0.0

    def accept(self, code: str) -> bool:
        now = self._clock()
        if code == self._last and now - self._last_t < self.window_s:
            self._last_t = now  # still in view: keep suppressing
            return False
        self._last, self._last_t = code, now
        return True

    def reset(self) -> None:
        self._last = None


class Scanner(abc.ABC):
    """Base of every scanner. Subclasses implement ``_run`` (the worker loop) or override
    ``start``/``stop`` when they have no thread of their own (virtual, keyboard in Kivy)."""

    kind = "?"

    def __init__(self, *, debounce_s: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self._debouncer = Debouncer(debounce_s, clock=clock)
        self._on_scan: OnScan | None = None
        self._on_state: OnState | None = None
        self._state = ScannerState.STOPPED
        self._message = ""
        self._scans = 0
        self._dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def start(self, on_scan: OnScan, on_state: OnState | None = None) -> None:
        """Begin delivering scans to ``on_scan`` (from a worker thread). Idempotent."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._on_scan, self._on_state = on_scan, on_state
            self._stop.clear()
            self._debouncer.reset()
            self._thread = threading.Thread(target=self._guarded_run,
                                            name=f"scanner-{self.kind}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker and release the device. Safe to call twice or before start."""
        self._stop.set()
        self._interrupt()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        self._set_state(ScannerState.STOPPED)

    def health(self) -> ScannerHealth:
        return ScannerHealth(kind=self.kind, state=self._state, where=self.where,
                             scans=self._scans, dropped=self._dropped, message=self._message,
                             details=self._details())

    @property
    def state(self) -> ScannerState:
        return self._state

    @property
    def where(self) -> str:
        return ""

    # ------------------------------------------------------------------ for subclasses

    @abc.abstractmethod
    def _run(self) -> None:
        """The worker loop: run until ``self._stop`` is set."""

    def _interrupt(self) -> None:
        """Wake a worker blocked on I/O so it sees the stop flag (close a port, etc.)."""

    def _details(self) -> dict[str, object]:
        return {}

    def _guarded_run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a driver bug must not vanish silently with the thread
            log.exception("%s scanner worker stopped on an unexpected error", self.kind)
            self._set_state(ScannerState.FAULT, f"{self.kind} scanner failed: {exc}")

    def _deliver(self, code: str) -> bool:
        """Debounce and hand ``code`` to the callback. Returns True when delivered."""
        if not code or not self._debouncer.accept(code):
            return False
        self._scans += 1
        log.info("%s scan: %d characters", self.kind, len(code))
        callback = self._on_scan
        if callback is not None:
            try:
                callback(code)
            except Exception:
                log.exception("on_scan callback failed for a %d-character scan (%s)",
                              len(code), mask(code))
        return True

    def _drop(self, reason: str) -> None:
        self._dropped += 1
        log.warning("%s scanner dropped input: %s", self.kind, reason)

    def _set_state(self, state: ScannerState, message: str = "") -> None:
        changed = state is not self._state or message != self._message
        self._state, self._message = state, message
        if not changed:
            return
        if message:
            log.info("%s scanner %s: %s", self.kind, state.value, message)
        callback = self._on_state
        if callback is not None:
            try:
                callback(state)
            except Exception:
                log.exception("on_state callback failed")
