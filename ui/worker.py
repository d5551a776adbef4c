"""Blocking work off the UI thread: every core and driver call goes through a Worker.

The result (or the exception) is handed back to the Kivy thread with ``Clock.schedule_once``,
so callbacks may touch widgets. A small pool: a slow acquirer must not stop a PIN check or a
history refresh, but two sales are refused by the core anyway.

The pool's threads are daemon threads. ThreadPoolExecutor's are joined at interpreter exit, so
a void whose acquirer request hangs kept a closed app's process alive until the read timeout;
the journal is crash-safe (Terminal.close), so the process may end with a job in flight.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from kivy.clock import Clock

log = logging.getLogger("ui.worker")


class Worker:
    def __init__(self, *, max_workers: int = 4):
        self._pool = DaemonPool(max_workers=max_workers, name="ui-worker")
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
        self._pool.shutdown()


class DaemonPool:
    """The part of ThreadPoolExecutor the Worker uses (submit, shutdown), on daemon threads:
    up to `max_workers`, started on demand when none is idle."""

    def __init__(self, *, max_workers: int, name: str):
        self._max = max_workers
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Future, Callable[[], Any]] | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new jobs after shutdown")
            self._jobs.put((future, fn))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(target=self._serve, name=f"{self._name}_{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def _serve(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            future, fn = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - the Future carries it, as ThreadPoolExecutor's does
                    future.set_exception(exc)
            self._idle.release()

    def shutdown(self) -> None:
        """Queued jobs are cancelled; a job running goes on (or ends with the process)."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
            for _ in self._threads:
                self._jobs.put(None)
