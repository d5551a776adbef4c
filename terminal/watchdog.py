"""systemd notification (sd_notify) with the socket module only: READY=1 once the terminal can
take payments, WATCHDOG=1 while it is healthy, STOPPING=1 on the way out.

The unit (deploy/pos-terminal.service) is Type=notify with WatchdogSec: if the app hangs, the
pings stop and systemd restarts it. Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op.

    dog = Watchdog.from_environment()
    dog.ready()
    dog.beat(is_healthy)          # from the app's own loop (Kivy Clock, control server tick)
    dog.start(is_healthy)         # or: a daemon thread calling beat() every half period
    dog.stopping()

What "healthy" means: the journal answers AND every registered heartbeat is fresh. A frozen
touchscreen (UI thread blocked) once kept the pings going because only the journal was asked;
the app now ticks a "ui" heartbeat from its Kivy Clock and a "payment worker" heartbeat from a
probe its worker pool runs, so a blocked UI loop or a wedged worker stops the pings and systemd
restarts the app (recovery then resolves whatever was in flight from the journal).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

from .errors import FaultError

log = logging.getLogger("terminal.watchdog")
DEFAULT_INTERVAL_S = 10.0
UI_MAX_STALL_S = 5.0          # a touchscreen frozen longer than this is restarted
WORKER_MAX_STALL_S = 120.0    # every worker thread busy this long (a sale's waits are far shorter)


class ShuttingDown(Exception):
    """The terminal is closing (its journal is closed before STOPPING=1 is sent): a beat then
    sends nothing and reports nothing, since nothing is wrong."""


def _address(notify_socket: str) -> str | bytes:
    # "@name" is a Linux abstract socket: a leading NUL byte on the wire.
    return b"\0" + notify_socket[1:].encode() if notify_socket.startswith("@") else notify_socket


def sd_notify(message: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification datagram; False (never an exception) if there is no systemd to tell."""
    target = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET")
    if not target:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(_address(target))
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        log.warning("sd_notify failed", extra={"reason": str(exc)})
        return False


class Watchdog:
    def __init__(self, *, environ: Mapping[str, str] | None = None):
        self._environ = dict(os.environ if environ is None else environ)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_healthy: bool | None = None

    @classmethod
    def from_environment(cls) -> Watchdog:
        return cls()

    @property
    def enabled(self) -> bool:
        return bool(self._environ.get("NOTIFY_SOCKET"))

    @property
    def interval_s(self) -> float:
        """Half the WatchdogSec systemd asks for (WATCHDOG_USEC), as sd_watchdog_enabled(3) advises."""
        usec = self._environ.get("WATCHDOG_USEC", "")
        pid = self._environ.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            return int(usec) / 2_000_000
        return DEFAULT_INTERVAL_S

    def _send(self, message: str) -> bool:
        return sd_notify(message, environ=self._environ)

    def ready(self, status: str = "ready for payments") -> bool:
        return self._send(f"READY=1\nSTATUS={status}")

    def beat(self, is_healthy: Callable[[], bool]) -> bool:
        """Ping the watchdog if `is_healthy()` says so; a failing or raising check sends nothing
        (systemd then restarts the service when WatchdogSec runs out). Returns whether it pinged."""
        try:
            healthy = bool(is_healthy())
        except ShuttingDown:
            return False
        except Exception:
            log.exception("health check raised")
            healthy = False
        if healthy != self.last_healthy:
            self._send("STATUS=" + ("ready for payments" if healthy else "unhealthy: see the log"))
        self.last_healthy = healthy
        return healthy and self._send("WATCHDOG=1")

    def stopping(self) -> bool:
        self.stop()
        return self._send("STOPPING=1")

    def start(self, is_healthy: Callable[[], bool]) -> None:
        """Beat from a daemon thread every interval_s (no-op outside systemd)."""
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self.beat(is_healthy)
                self._stop.wait(self.interval_s)
        self._thread = threading.Thread(target=loop, name="sd-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


class Heartbeat:
    """One loop's sign of life: `tick()` from inside the loop; stale once `max_age_s` has passed."""

    def __init__(self, name: str, max_age_s: float, clock: Callable[[], float] = time.monotonic):
        self.name, self.max_age_s, self._clock = name, max_age_s, clock
        self.last = clock()

    def tick(self) -> None:
        self.last = self._clock()

    def age_s(self) -> float:
        return self._clock() - self.last

    @property
    def stale(self) -> bool:
        return self.age_s() > self.max_age_s


class Liveness:
    """The loops a terminal process depends on (one per Terminal, never a module singleton)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._beats: dict[str, Heartbeat] = {}
        self._lock = threading.Lock()

    def heartbeat(self, name: str, max_age_s: float) -> Heartbeat:
        with self._lock:
            beat = self._beats[name] = Heartbeat(name, max_age_s, self._clock)
            return beat

    def remove(self, name: str) -> None:
        with self._lock:
            self._beats.pop(name, None)

    def beats(self) -> dict[str, Heartbeat]:
        with self._lock:
            return dict(self._beats)

    def stale(self) -> list[str]:
        """Names of the loops that have not ticked in time ("ui 15.2 s")."""
        with self._lock:
            beats = list(self._beats.values())
        return [f"{b.name} {b.age_s():.1f} s" for b in beats if b.stale]


def terminal_healthy(terminal) -> bool:
    """The journal answers (a hung or broken database is the failure that needs a restart) and
    every heartbeat registered on `terminal.upkeep.liveness` (UI loop, payment worker) is fresh."""
    try:
        terminal.upkeep.check_journal()   # a real query under the journal's lock
    except FaultError as exc:
        if exc.code == "JOURNAL_CLOSED":  # closing: the journal goes before STOPPING=1 is sent
            raise ShuttingDown from None
        log.warning("watchdog: the journal does not answer (%s)", exc.code)
        return False
    except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
        log.warning("watchdog: the journal does not answer")
        return False
    liveness = terminal.upkeep.liveness
    stale = liveness.stale() if liveness is not None else []
    if stale:
        log.warning("watchdog: not notifying, stalled: %s", ", ".join(stale))
        return False
    return True


def attach(terminal) -> Watchdog | None:
    """For the composition root: under systemd, READY=1 now, beat while healthy, STOPPING=1 at close."""
    dog = Watchdog.from_environment()
    if not dog.enabled:
        return None
    dog.ready()
    dog.start(lambda: terminal_healthy(terminal))
    return dog
