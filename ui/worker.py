"""Blocking work off the UI thread: every core and driver call goes through a Worker.

The result (or the exception) is handed back to the Kivy thread with ``Clock.schedule_once``,
so callbacks may touch widgets. A small pool: a slow acquirer must not stop a PIN check or a
history refresh, but two sales are refused by the core anyway.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock

log = logging.getLogger("ui.worker")


class Worker:
    def __init__(self, *, max_workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ui-worker")
        self._busy = 0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Jobs submitted and not yet handed back (tests wait for 0)."""
        return self._busy

    def run(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, **kwargs: Any) -> Future:
        with self._lock:
            self._busy += 1

        def job() -> Any:
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the UI thread; never lost with the thread
                if on_error is None:
                    log.exception("background job %s failed", getattr(fn, "__name__", fn))
                error = exc   # `exc` is unbound after the except block; the callback runs later
                Clock.schedule_once(lambda _dt: self._finish(on_error, error), 0)
                raise
            Clock.schedule_once(lambda _dt: self._finish(on_done, result), 0)
            return result

        return self._pool.submit(job)

    def probe(self, tick: Callable[[], None]) -> None:
        """Liveness: run `tick` on the pool (one probe at a time), so the watchdog sees a wedged pool
        (terminal/watchdog.py: the "payment worker" heartbeat stops)."""
        with self._lock:
            if self._probing:
                return
            self._probing = True

        def job() -> None:
            try:
                tick()
            finally:
                with self._lock:
                    self._probing = False
        try:
            self._pool.submit(job)
        except RuntimeError:   # shut down
            with self._lock:
                self._probing = False

    def _finish(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        try:
            if callback is not None:
                callback(value)
        finally:
            with self._lock:
                self._busy -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
