"""`sale --scan`: wait for one scan from the configured scanner (virtual: a line on stdin)."""
from __future__ import annotations

import queue
import sys
from typing import TYPE_CHECKING

from ..errors import FaultError, InputError
from .output import say

if TYPE_CHECKING:
    from ..config import Config

SCAN_TIMEOUT_S = 120
PROMPT = "scanner ready: scan the customer's payment code"


def wait_for_scan(config: Config, timeout_s: float = SCAN_TIMEOUT_S) -> str:
    s = config.scanner
    if s.kind == "virtual":
        say(PROMPT + " (virtual scanner: type or pipe it on stdin)")
        line = sys.stdin.readline()
        if not line:
            raise InputError("no scan: stdin closed (type or pipe the code, or use --code)")
        return line
    from drivers.scanners import build_scanner

    scans: queue.Queue[str] = queue.Queue()
    scanner = build_scanner(kind=s.kind, **s.driver_options())
    announced = []

    def on_state(state) -> None:
        # Say "ready" only once the device is open: bytes sent earlier would be flushed.
        if state.value == "READY" and not announced:
            announced.append(True)
            say(PROMPT)
        elif state.value in ("DISCONNECTED", "FAULT"):
            say(f"scanner {state.value.lower()}: {scanner.health().message}")

    scanner.start(scans.put, on_state)
    try:
        return scans.get(timeout=timeout_s)
    except queue.Empty:
        raise FaultError(f"no scan within {timeout_s:.0f} s: {scanner.health().message or 'check the scanner'}"
                         " (try `pos-terminal scan-test`)", code="NO_SCAN") from None
    finally:
        scanner.stop()
