"""Keyboard-wedge scanners: most USB scanners type their code like a keyboard, then Enter.

What tells a scanner from a person is rhythm: a scanner types a whole code with a few
milliseconds between keys; a person needs 80 ms or more per key. ``WedgeDecoder`` turns timed
key characters into scans and lets a person's typing through as "not a scan";
``KeyboardWedgeScanner`` wraps it as a Scanner fed by the Kivy app's keyboard events
(``feed(text, t)``), and ``keyboard_evdev.EvdevWedgeScanner`` reads a grabbed input device
headlessly on Linux.
"""
from __future__ import annotations

import itertools
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import Scanner, ScannerState
from .framing import clean_text

ENTER, TAB = "\r", "\t"


@dataclass
class WedgeResult:
    """A completed burst: ``code`` if it came from a scanner, else ``human`` holds the typed
    text (for the UI to pass through to its text field; never logged)."""

    code: str | None = None
    human: str | None = None
    reason: str = ""


class WedgeDecoder:
    """Pure timing classifier. ``key(ch, t)`` per character (ENTER/TAB as "\\r"/"\\t"),
    ``poll(t)`` when idle (needed for suffix NONE, and to release a person's keys)."""

    def __init__(self, *, suffix: str = "CR", max_interkey_s: float = 0.035,
                 min_length: int = 6, max_length: int = 256):
        suffix = suffix.upper()
        self.terminator = {"CR": ENTER, "LF": ENTER, "CRLF": ENTER, "TAB": TAB,
                           "NONE": None}[suffix]
        self.max_interkey_s = max_interkey_s
        self.min_length = min_length
        self.max_length = max_length
        self._buf: list[str] = []
        self._times: list[float] = []

    def key(self, ch: str, t: float) -> list[WedgeResult]:
        out: list[WedgeResult] = []
        if self._times and t - self._times[-1] > self.max_interkey_s:
            out.extend(self._flush(idle=True))
        if self.terminator is not None and ch == self.terminator:
            out.extend(self._flush(idle=False))
            return out
        if ch in (ENTER, TAB) and self.terminator is None:
            out.extend(self._flush(idle=False))
            return out
        self._buf.append(ch)
        self._times.append(t)
        return out

    def poll(self, t: float) -> list[WedgeResult]:
        if self._times and t - self._times[-1] > self.max_interkey_s:
            return self._flush(idle=True)
        return []

    def _flush(self, *, idle: bool) -> list[WedgeResult]:
        text = "".join(self._buf)
        times = self._times
        self._buf, self._times = [], []
        if not text:
            return []
        fast = len(times) >= 2 and all(b - a <= self.max_interkey_s
                                       for a, b in itertools.pairwise(times))
        ends_right = (self.terminator is None) == idle
        if fast and ends_right and len(text) >= self.min_length:
            result = clean_text(text.encode("utf-8"), self.max_length)
            if result.code is not None:
                return [WedgeResult(code=result.code)]
            return [WedgeResult(reason=result.reason or "")]
        return [WedgeResult(human=text, reason="typed by a person (slow or short burst)")]


class KeyboardWedgeScanner(Scanner):
    """A wedge scanner fed by the application's keyboard events (e.g. Kivy's
    ``Window.on_textinput`` and Enter in ``on_key_down``): call ``feed(text)`` /
    ``feed_key("\\r")`` from the UI thread; scans arrive on the worker thread like any other
    scanner's. ``on_human`` (optional) receives text a person typed, to pass it through.
    ``fallback``: why this was chosen instead of reading an input device (``input = "auto"``
    found none); empty when the configuration asked for the app's keyboard. Health reports it,
    so nobody is told "scanner ready" about a scanner nothing was found for."""

    kind = "keyboard"

    def __init__(self, *, suffix: str = "CR", max_interkey_s: float = 0.035,
                 min_length: int = 6, max_length: int = 256, debounce_s: float = 2.0,
                 on_human: Callable[[str], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 fallback: str = "", **kwargs: Any) -> None:
        super().__init__(debounce_s=debounce_s, clock=clock)
        self.fallback = fallback
        self._decoder = WedgeDecoder(suffix=suffix, max_interkey_s=max_interkey_s,
                                     min_length=min_length, max_length=max_length)
        self._clock = clock
        self._events: queue.Queue[tuple[str, float] | None] = queue.Queue()
        self.on_human = on_human

    @property
    def where(self) -> str:
        return "keyboard"

    def _details(self) -> dict[str, object]:
        details = dict(super()._details())
        details["input"] = "app"
        if self.fallback:
            details["fallback"] = self.fallback
        return details

    def feed(self, text: str, t: float | None = None) -> None:
        """Characters typed (one event may carry several); ``t`` defaults to now."""
        t = self._clock() if t is None else t
        for ch in text:
            self._events.put((ch, t))

    def feed_key(self, ch: str, t: float | None = None) -> None:
        self.feed(ch, t)

    def _run(self) -> None:
        self._set_state(ScannerState.READY)
        wait = self._decoder.max_interkey_s * 2
        while not self._stop.is_set():
            try:
                item = self._events.get(timeout=wait)
            except queue.Empty:
                self._handle(self._decoder.poll(self._clock()))
                continue
            if item is None:
                continue
            self._handle(self._decoder.key(*item))

    def _handle(self, results: list[WedgeResult]) -> None:
        for r in results:
            if r.code is not None:
                self._deliver(r.code)
            elif r.human is not None:
                if self.on_human is not None:
                    self.on_human(r.human)
            else:
                self._drop(r.reason)

    def _interrupt(self) -> None:
        self._events.put(None)
