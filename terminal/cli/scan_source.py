"""`sale --scan`: wait for a payment code from the configured scanner (virtual: lines on stdin).

A read that is not a payment code (junk after the scanner powers up, a product's EAN barcode
scanned by mistake, a URL from a shop's QR) is reported on stderr with why, and the wait goes
on until a payment code arrives or the time runs out, as at the touchscreen and through the
control API. Only the masked form of a refused read is ever shown.
"""
from __future__ import annotations

import queue
import sys
import time
from typing import TYPE_CHECKING

from ..codes import PaymentCodeError, mask, normalise, parse_payment_code
from ..errors import FaultError, InputError
from .output import say

if TYPE_CHECKING:
    from drivers.scanners import ScannerState

    from ..config import Config

SCAN_TIMEOUT_S = 120
PROMPT = "scanner ready: scan the customer's payment code"


def accepted(text: str) -> bool:
    """True for a payment code; otherwise say why it was refused (masked) and return False."""
    try:
        parse_payment_code(text).drop()
    except PaymentCodeError as exc:
        shown = mask(normalise(text)) or "nothing"
        say(f"scan refused ({exc.reason}, read {shown}): {exc.message}; still waiting for the payment code")
        return False
    return True


def wait_for_scan(config: Config, timeout_s: float = SCAN_TIMEOUT_S) -> str:
    s = config.scanner
    if s.kind == "virtual":
        say(PROMPT + " (virtual scanner: type or pipe it on stdin)")
        while True:
            line = sys.stdin.readline()
            if not line:
                raise InputError("no payment code: stdin closed (type or pipe the code, or use --code)")
            if accepted(line):
                return line
    from drivers.scanners import build_scanner

    scans: queue.Queue[str] = queue.Queue()
    scanner = build_scanner(kind=s.kind, **s.driver_options())
    announced: list[bool] = []

    def on_state(state: ScannerState) -> None:
        # Say "ready" only once the device is open: bytes sent earlier would be flushed.
        if state.value == "READY" and not announced:
            announced.append(True)
            say(PROMPT)
        elif state.value in ("DISCONNECTED", "FAULT"):
            say(f"scanner {state.value.lower()}: {scanner.health().message}")

    scanner.start(scans.put, on_state)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                text = scans.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise FaultError(f"no payment code within {timeout_s:.0f} s: "
                                 f"{scanner.health().message or 'check the scanner'} (try `pos-terminal scan-test`)",
                                 code="NO_SCAN") from None
            if accepted(text):
                return text
    finally:
        scanner.stop()
