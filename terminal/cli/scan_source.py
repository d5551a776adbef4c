"""`sale --scan`: wait for one scan from the configured scanner (virtual: a line on stdin)."""
from __future__ import annotations

import queue
import sys

from ..config import Config
from ..errors import FaultError, InputError

SCAN_TIMEOUT_S = 120


def wait_for_scan(config: Config, timeout_s: float = SCAN_TIMEOUT_S) -> str:
    s = config.scanner
    if s.kind == "virtual":
        line = sys.stdin.readline()
        if not line:
            raise InputError("no scan: stdin closed (type or pipe the code, or use --code)")
        return line
    from drivers.scanners import build_scanner

    scans: queue.Queue[str] = queue.Queue()
    scanner = build_scanner(kind=s.kind, port=s.port, baudrate=s.baudrate, suffix=s.suffix,
                            camera=s.camera, decoder=s.decoder)
    scanner.start(scans.put)
    try:
        return scans.get(timeout=timeout_s)
    except queue.Empty:
        raise FaultError(f"no scan within {timeout_s} s: check the scanner (`pos-terminal scan-test`)",
                         code="NO_SCAN") from None
    finally:
        scanner.stop()
