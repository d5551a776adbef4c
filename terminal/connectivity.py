"""Can the terminal reach the acquirer right now? Known from real traffic, plus a light probe.

Every acquirer exchange reports whether it reached the acquirer (any HTTP answer did; a refused
or timed-out connection did not). With no traffic for ``probe_interval_s`` a background probe
opens a TCP connection to the acquirer's host and port (no request, nothing signed). Two
misses in a row make the link OFFLINE; any answer makes it ONLINE.

A sale is refused up front only on fresh evidence (``refuse_if_unreachable``): the link is
OFFLINE and a probe made at that moment fails too, so a link that came back is never refused.
Nothing is journalled or sent for a refused sale: the customer is not charged.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import BusinessError

if TYPE_CHECKING:
    from .acquirer import AcquirerResult

log = logging.getLogger("terminal.connectivity")

UNKNOWN, ONLINE, OFFLINE = "UNKNOWN", "ONLINE", "OFFLINE"
UNREACHED = frozenset({"TRANSPORT_CONNECTION", "TRANSPORT_TIMEOUT", "TRANSPORT_TLS"})
MISSES_OFFLINE = 2


class AcquirerUnreachable(BusinessError):
    code = "ACQUIRER_UNREACHABLE"


class Connectivity:
    def __init__(self, *, base_url: str, connect_timeout_s: float = 3.0, probe_interval_s: float = 15.0,
                 clock: Callable[[], float] = time.monotonic):
        parts = urlsplit(base_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
        self._timeout = connect_timeout_s
        self._interval = probe_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self.state = UNKNOWN
        self._misses = 0
        self._last_evidence = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- evidence -----------------------------------------------------------------------------
    def record(self, reached: bool) -> None:
        with self._lock:
            self._last_evidence = self._clock()
            if reached:
                self._misses, new = 0, ONLINE
            else:
                self._misses += 1
                new = OFFLINE if self._misses >= MISSES_OFFLINE else self.state
            if new != self.state:
                log.info("acquirer link %s", new.lower())
            self.state = new

    def record_exchange(self, _path: str, result: AcquirerResult) -> None:
        """AcquirerClient.on_exchange: each real call is evidence."""
        self.record(result.transport_error not in UNREACHED)

    def probe(self) -> bool:
        """A TCP connection to the acquirer (no request): reached or not, recorded."""
        try:
            with socket.create_connection(self._address, timeout=self._timeout):
                reached = True
        except OSError:
            reached = False
        self.record(reached)
        return reached

    # -- decisions ----------------------------------------------------------------------------
    def refuse_if_unreachable(self) -> None:
        if self.state != OFFLINE:
            return
        if not self.probe():
            raise AcquirerUnreachable("Cannot reach the payment network. Not charged.")

    # -- background probe -----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(min(self._interval, 1.0)):
                if self._clock() - self._last_evidence >= self._interval:
                    self.probe()
        self._thread = threading.Thread(target=loop, name="acquirer-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 2)
