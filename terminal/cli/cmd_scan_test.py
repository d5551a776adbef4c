"""`pos-terminal scan-test`: show what the scanner reads (wallet, masked code, decode time).

    scan-test --image a.png b.jpg     decode image files, one result per file
    scan-test --camera 0              live camera (index, /dev/videoN or a video file)
    scan-test --serial /dev/ttyACM0   live serial scanner
    scan-test                         the configured scanner

With --json: one JSON object per line, ``{"file", "decoded", "kind", "masked", "ms"}`` for
images (``"source"`` instead of ``"file"`` for live scans); ``kind`` is the wallet or
NOT_A_PAYMENT_CODE (``reason`` then says why: the core parser's reason, NO_CODE_FOUND or
UNREADABLE_FILE). The raw code is never printed.

Exit codes: 0 everything read; 1 an image held no readable code, or no scan arrived before
--timeout; 2 bad usage or an unreadable image file; 3 device fault.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import time
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from drivers.scanners import Scanner, ScannerState, VirtualScanner

DEFAULT_LIVE_TIMEOUT_S = 0.0  # 0: until interrupted (Ctrl-C)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("scan-test", help="show what the scanner reads",
                              description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", metavar="N", help="camera index, /dev/videoN or video file")
    src.add_argument("--serial", metavar="PORT", help="serial port or pyserial URL")
    src.add_argument("--image", metavar="FILE", nargs="+", help="decode image files")
    p.add_argument("--count", type=int, default=0,
                   help="live: stop after this many scans (default: until interrupted)")
    p.add_argument("--timeout", type=float, default=DEFAULT_LIVE_TIMEOUT_S,
                   help="live: give up after this many seconds (default: never)")
    p.set_defaults(func=run)


def classify(text: str | None) -> dict[str, Any]:
    """kind/masked/reason for a decoded string, through the core's payment-code parser."""
    from drivers.masking import mask
    from terminal.codes import PaymentCodeError, parse_payment_code

    if text is None:
        return {"decoded": False, "kind": "NOT_A_PAYMENT_CODE", "masked": None,
                "reason": "NO_CODE_FOUND"}
    try:
        code = parse_payment_code(text)
    except PaymentCodeError as exc:
        return {"decoded": True, "kind": "NOT_A_PAYMENT_CODE", "masked": mask(text),
                "reason": exc.reason}
    result = {"decoded": True, "kind": code.wallet.value, "masked": code.masked}
    code.drop()
    return result


def _print(args: argparse.Namespace, obj: dict[str, Any]) -> None:
    if getattr(args, "json", False):
        line = json.dumps(obj, ensure_ascii=False)
    else:
        where = obj.get("file") or obj.get("source") or ""
        ms = f" ({obj['ms']:.1f} ms)" if obj.get("ms") is not None else ""
        if obj.get("error"):
            line = f"{where}: {obj['error']}"
        elif not obj["decoded"]:
            line = f"{where}: no code found{ms}"
        elif obj["kind"] == "NOT_A_PAYMENT_CODE":
            line = f"{where}: not a payment code ({obj.get('reason')}): {obj['masked']}{ms}"
        else:
            line = f"{where}: {obj['kind']} {obj['masked']}{ms}"
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from drivers.errors import DeviceError

    try:
        if args.image:
            return _run_images(args)
        return _run_live(args)
    except DeviceError as exc:
        _say(f"error: {exc}")
        return 3


def _run_images(args: argparse.Namespace) -> int:
    import cv2

    from drivers.decoding import DecoderChain

    chain = DecoderChain(budget_ms=50.0)  # a still image may take its time: one shot
    worst = 0
    for path in args.image:
        image = cv2.imread(path, cv2.IMREAD_COLOR) if os.path.isfile(path) else None
        if image is None:
            error = "cannot read this file as an image" if os.path.exists(path) \
                else "no such file"
            _print(args, {"file": path, "decoded": False, "kind": "NOT_A_PAYMENT_CODE",
                          "masked": None, "reason": "UNREADABLE_FILE", "ms": None,
                          "error": error})
            worst = 2
            continue
        if image.shape[1] > 1280:  # a phone photo: decode at camera resolution
            scale = 1280 / image.shape[1]
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        t0 = time.perf_counter()
        text = chain.decode(image)
        ms = round((time.perf_counter() - t0) * 1000, 2)
        result = {"file": path, **classify(text), "ms": ms}
        _print(args, result)
        if text is None:
            worst = max(worst, 1)
    return worst


def _live_options(args: argparse.Namespace) -> tuple[str, dict[str, Any], str]:
    if args.camera is not None:
        return "camera", {"camera": args.camera, "debounce_s": 2.0}, f"camera {args.camera}"
    if args.serial is not None:
        return "serial", {"port": args.serial}, args.serial
    from ..config import load_config

    s = load_config(getattr(args, "config", None)).scanner
    return s.kind, s.driver_options(), f"configured {s.kind} scanner"


def _run_live(args: argparse.Namespace) -> int:
    from drivers.scanners import ScannerState, build_scanner

    kind, options, label = _live_options(args)
    scanner = build_scanner(kind=kind, **options)
    scans: queue.Queue[str] = queue.Queue()
    states: queue.Queue[ScannerState] = queue.Queue()
    scanner.start(scans.put, states.put)
    if kind == "virtual":
        _feed_stdin(cast("VirtualScanner", scanner))
    _say(f"scan-test: reading from {label}; Ctrl-C to stop")
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    n = 0
    try:
        while args.count <= 0 or n < args.count:
            _report_states(states, scanner)
            finished = getattr(scanner, "finished", None)    # the stdin scanner's end-of-input event
            if finished is not None and finished.is_set() and scans.empty():
                break  # a video file ended
            if deadline is not None and time.monotonic() >= deadline:
                break
            try:
                text = scans.get(timeout=0.2)
            except queue.Empty:
                continue
            n += 1
            ms = getattr(scanner, "last_decode_ms", None)
            _print(args, {"source": label, **classify(text),
                          "ms": round(ms, 2) if ms is not None else None})
    except KeyboardInterrupt:
        pass
    finally:
        _report_states(states, scanner)
        final = scanner.health()
        scanner.stop()
    if n == 0 and final.state is ScannerState.FAULT:
        return 3
    return 0 if n else 1


def _report_states(states: queue.Queue[ScannerState], scanner: Scanner) -> None:
    while True:
        try:
            state = states.get_nowait()
        except queue.Empty:
            return
        msg = scanner.health().message
        _say(f"scanner {state.value}" + (f": {msg}" if msg else ""))


def _feed_stdin(scanner: VirtualScanner) -> None:
    import threading

    def pump() -> None:
        for line in sys.stdin:
            line = line.rstrip("\r\n")
            if line:
                scanner.inject(line)

    threading.Thread(target=pump, name="scan-test-stdin", daemon=True).start()
