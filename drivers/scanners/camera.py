"""Camera QR scanner: a capture thread, a decode thread, and the latest frame for a preview.

The capture thread keeps only the newest frame of a live camera (decoding an old frame adds
latency and nothing else); a file source hands over every frame so a recorded video decodes
deterministically. The decode thread runs the decoder chain on each frame it takes; the same
code seen across many frames is one scan (the debounce window restarts while it stays in view).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..decoding import DecoderChain
from ..errors import DeviceError
from .base import Scanner, ScannerState
from .camera_sources import FrameSource, OpenCVSource, Picamera2Source

log = logging.getLogger("drivers.scanners.camera")


@dataclass(frozen=True)
class PreviewFrame:
    image: Any  # BGR numpy array; do not modify it in place
    seq: int
    t: float


class _Handoff:
    """One-slot (live: overwrite) or bounded (file: block) handoff between the threads."""

    def __init__(self, *, keep_all: bool, stop: threading.Event) -> None:
        self._cond = threading.Condition()
        self._items: list[Any] = []
        self._keep_all = keep_all
        self._closed = False
        self._stop = stop

    def put(self, item: Any) -> None:
        with self._cond:
            if self._keep_all:
                while len(self._items) >= 2 and not self._stop.is_set():
                    self._cond.wait(0.1)
            else:
                self._items.clear()
            self._items.append(item)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self) -> Any | None:
        with self._cond:
            while not self._items and not self._closed and not self._stop.is_set():
                self._cond.wait(0.1)
            if self._items:
                item = self._items.pop(0)
                self._cond.notify_all()
                return item
            return None


class CameraScanner(Scanner):
    """``camera``: index, /dev/videoN, video file or image-sequence pattern; ``backend``:
    "opencv" or "picamera2"; ``decoder``: "zxing" (the chain) or "pyzbar" / "opencv" (single).
    ``budget_ms`` bounds the fallbacks per frame of a file source (every frame decoded); a
    live camera does a fixed, small amount of work per frame and spreads the fallbacks over
    frames (DecoderChain live mode)."""

    kind = "camera"

    def __init__(self, *, camera: int | str = 0, backend: str = "opencv",
                 decoder: str = "zxing", budget_ms: float = 15.0, width: int = 640,
                 height: int = 480, loop: bool = False, debounce_s: float = 2.0,
                 source: FrameSource | None = None, reconnect_initial_s: float = 0.5,
                 reconnect_max_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(debounce_s=debounce_s, clock=clock)
        self.reconnect_initial_s, self.reconnect_max_s = reconnect_initial_s, reconnect_max_s
        self.reconnects = 0
        if source is None:
            if backend == "picamera2":
                source = Picamera2Source(width=width, height=height)
            else:
                source = OpenCVSource(camera, width=width, height=height, loop=loop)
        self.source = source
        self.chain = DecoderChain(primary=decoder, budget_ms=budget_ms, live=source.live)
        self._latest: PreviewFrame | None = None
        self._frames = 0
        self._decoded_frames = 0
        self._decode_ms: list[float] = []
        self.finished = threading.Event()  # set when a file source reaches its end
        self.last_decode_ms: float | None = None  # of the frame that produced the last scan

    @property
    def where(self) -> str:
        return self.source.where

    def latest_frame(self) -> PreviewFrame | None:
        """The newest captured frame, for a live preview (any thread)."""
        return self._latest

    def _details(self) -> dict[str, object]:
        ms = sorted(self._decode_ms[-200:])
        return {"frames": self._frames, "frames_with_code": self._decoded_frames, "reconnects": self.reconnects,
                "decode_ms_median": ms[len(ms) // 2] if ms else None,
                "decoder": self.chain._single.name if self.chain._single else "chain"}

    def _run(self) -> None:
        """Capture until stopped. A live camera that drops out (a read fails, the device goes
        away) is reopened with exponential backoff (DISCONNECTED with the reason, then READY
        again), never left dead until the app restarts; a file source ends (STOPPED)."""
        self.finished.clear()
        self._set_state(ScannerState.CONNECTING)
        try:
            self.source.open()
        except DeviceError as exc:
            self._set_state(ScannerState.FAULT, str(exc))
            self.finished.set()
            return
        handoff = _Handoff(keep_all=not self.source.live, stop=self._stop)
        decoder = threading.Thread(target=self._decode_loop, args=(handoff,),
                                   name="scanner-camera-decode", daemon=True)
        decoder.start()
        self._set_state(ScannerState.READY)
        ended = False
        try:
            seq = 0
            while not self._stop.is_set():
                try:
                    frame = self.source.read()
                except DeviceError as exc:
                    self._set_state(ScannerState.DISCONNECTED, str(exc))
                    if not self.source.live or not self._reopen():
                        break
                    continue
                if frame is None:
                    ended = True
                    break
                seq += 1
                self._frames = seq
                self._latest = PreviewFrame(frame, seq, time.monotonic())
                handoff.put(frame)
        finally:
            handoff.close()
            decoder.join()
            self.source.close()
            if ended:
                self._set_state(ScannerState.STOPPED, f"end of {self.source.where}")
            self.finished.set()

    def _reopen(self) -> bool:
        """Close and reopen the source until it works (True) or the scanner is stopped (False)."""
        delay = self.reconnect_initial_s
        while not self._stop.is_set():
            self.source.close()
            self.reconnects += 1
            if self._stop.wait(delay):
                return False
            try:
                self.source.open()
            except DeviceError as exc:
                log.info("camera %s still unavailable: %s", self.source.where, exc)
                delay = min(delay * 2, self.reconnect_max_s)
                self._set_state(ScannerState.DISCONNECTED, f"{exc} (trying again in {delay:.0f} s)")
                continue
            self._set_state(ScannerState.READY, f"{self.source.where} reconnected")
            return True
        return False

    def _decode_loop(self, handoff: _Handoff) -> None:
        while True:
            frame = handoff.get()
            if frame is None:
                return
            t0 = time.perf_counter()
            try:
                text = self.chain.decode(frame)
            except Exception:
                log.exception("decoder failed on a frame")
                continue
            ms = (time.perf_counter() - t0) * 1000
            self._decode_ms.append(ms)
            if len(self._decode_ms) > 1000:
                del self._decode_ms[:500]
            if text:
                self._decoded_frames += 1
                self.last_decode_ms = ms
                self._deliver(text)
