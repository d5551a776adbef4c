"""What the control API needs around the core: the checkout, the configured scanner feeding
it, the event log and receipt printing. `build_control(terminal)` returns them with the app."""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from ..checkout import Checkout, NoSaleAwaitingScan, TerminalState
from ..codes import PaymentCodeError
from ..service import Terminal
from .app import create_app
from .auth import FailureLimiter
from .limits import ControlLimits

log = logging.getLogger("terminal.control")
events_log = logging.getLogger("terminal.events")

SALE_STOP_TIMEOUT_S = 15.0
# Progress events carry timings and retry counts that differ from run to run: the diffable
# event log leaves them out (they are still in the journal and on /v1/events).
UNDIFFABLE = {"progress"}


class EventLog:
    """Every journal event as a structured log record (logger `terminal.events`, INFO), and,
    when given a file, as one JSON line without timestamps, keys sorted, so a rig can diff two
    runs after replacing ids.

    Written by its own thread, in journal order. A listener runs in the thread that committed
    the event: the request handlers and the sale's worker, between the commit and the answer
    (or the RESULT) the cash register waits for. Six events a sale, each a log record formatted
    as JSON and written, were about 0.7 ms of that wait.

    The writer gathers what arrives within `linger_s` of an event and writes it in one pass. Woken
    for every event, it took the interpreter six times a sale, each time from a thread on the
    cash register's path: back-to-back sales through the control API took 19.3 ms (p50) against
    17.0 ms with the log written in passes of 0.1 s (A/B, two terminals on one acquirer), and
    14.1 against 12.1 ms of the terminal's CPU a sale. Nobody waits on these lines: the
    journal has every event before any listener hears of it, so a line still queued when the
    process is killed is missing from the log only; close() writes everything queued at once."""

    _STOP = object()
    LINGER_S = 0.1

    def __init__(self, path: Path | None = None, *, linger_s: float = LINGER_S):
        self._file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - held for the writer's life, closed in close()
        self._linger_s = linger_s
        self._closing = threading.Event()      # cuts a linger short
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = threading.Thread(target=self._run, name="event-log", daemon=True)
        self._thread.start()

    def __call__(self, event: dict) -> None:
        self._queue.put(event)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            self._closing.wait(self._linger_s)
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not self._write_batch(batch):
                return

    def _write_batch(self, batch: list) -> bool:
        """Write the events of one pass, in order; False once the stop mark is reached."""
        for event in batch:
            if event is self._STOP:
                return False
            try:
                self._write(event)
            except Exception:   # a full disk must not stop the log for good
                log.exception("event log line not written")
        if self._file is not None:
            try:
                self._file.flush()
            except OSError:
                log.exception("event log lines not written")
        return True

    def _write(self, event: dict) -> None:
        record = {"seq": event["seq"], "txId": event["txId"], "kind": event["kind"], "from": event["from"],
                  "to": event["to"], "detail": event["detail"]}
        events_log.info("%s %s %s->%s", event["kind"], event["txId"] or "-", event["from"] or "-",
                        event["to"] or "-", extra=record)
        if self._file is not None and event["kind"] not in UNDIFFABLE:
            self._file.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")

    def close(self) -> None:
        """Write what is queued, then stop (idempotent)."""
        if self._thread is not None:
            self._closing.set()
            self._queue.put(self._STOP)
            self._thread.join(timeout=10)
            self._thread = None
        if self._file is not None:
            self._file.close()
            self._file = None


class ScannerFeed:
    """The configured (non-virtual) scanner delivering into the checkout. A scan with no sale
    waiting, or that is not a payment code, is logged (never the code) and ignored."""

    def __init__(self, terminal: Terminal, checkout: Checkout):
        self.checkout = checkout
        s = terminal.settings.scanner
        self.kind = s.kind
        self.problem = ""
        self.scanner = None
        self.ready = threading.Event()     # set while the scanner reads (tests wait on it)
        try:
            from drivers.scanners import build_scanner

            self.scanner = build_scanner(kind=s.kind, **s.driver_options())
        except Exception as exc:   # DeviceError & co: the API still serves status and the journal  # noqa: BLE001
            self.problem = str(exc)
            log.warning("scanner unavailable", extra={"reason": self.problem})

    def start(self) -> None:
        if self.scanner is not None:
            self.scanner.start(self._on_scan, self._on_state)

    def _on_state(self, state) -> None:
        if state.value == "READY":
            self.ready.set()
        else:
            self.ready.clear()

    def _on_scan(self, code: str) -> None:
        try:
            self.checkout.scan(code)
        except NoSaleAwaitingScan:
            log.info("scan ignored: no sale is waiting for a scan")
        except PaymentCodeError as exc:
            log.info("scan refused", extra={"reason": exc.reason})

    def health(self) -> dict:
        if self.scanner is None:
            return {"kind": self.kind, "status": "FAULT", "ok": False, "message": self.problem}
        h = self.scanner.health()
        return {"kind": h.kind, "status": h.state.value, "ok": h.ok, "message": h.message}

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()


@dataclass
class Control:
    app: FastAPI
    checkout: Checkout
    token: str
    scanner: ScannerFeed | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self, *, terminal_closing: bool = False) -> None:
        """Stop the scanner, listeners and printer. With terminal_closing=True (the process is
        going down), a sale in flight has its waits cut short and its worker is let finish
        writing (the unresolved payment is resolved at the next start) before the journal closes."""
        if terminal_closing and self.checkout.state == TerminalState.PROCESSING:
            self.checkout.terminal.stop_waiting()
            self.checkout.wait(SALE_STOP_TIMEOUT_S)
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("closing the control API")
        self._closers.clear()


def build_control(terminal: Terminal, *, token: str, checkout: Checkout | None = None, wire_scanner: bool = True,
                  event_log: Path | None = None, print_receipts: bool = True, limiter: FailureLimiter | None = None,
                  heartbeat_s: float = 10.0, limits: ControlLimits | None = None) -> Control:
    """The app and its surroundings. With `checkout` given (the touchscreen app's), its scanner
    is the app's business: pass wire_scanner=False."""
    checkout = checkout or Checkout(terminal=terminal)
    virtual = terminal.settings.scanner.kind == "virtual"
    feed = ScannerFeed(terminal, checkout) if wire_scanner and not virtual else None
    devices = (lambda: {"scanner": feed.health()}) if feed else (
        lambda: {"scanner": {"kind": "virtual", "status": "READY", "ok": True,
                             "message": "scans come from POST /v1/scans"}}) if virtual else None
    app = create_app(terminal=terminal, checkout=checkout, token=token, scans_enabled=virtual,
                     sandbox=terminal.upkeep.sandbox_access(), devices=devices, limiter=limiter, heartbeat_s=heartbeat_s,
                     limits=limits)
    control = Control(app=app, checkout=checkout, token=token, scanner=feed)

    logger = EventLog(event_log)
    control._closers.append(logger.close)
    control._closers.append(terminal.events.subscribe(logger, last=True))
    if print_receipts:
        printer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")

        def on_result(event: dict) -> None:   # runs under the checkout's lock: hand it over
            d = event["detail"]
            if event["kind"] == "checkout" and d.get("state") == "RESULT" and d.get("txState"):
                printer.submit(_print_sale, terminal, event["txId"])
        control._closers.append(lambda: printer.shutdown(wait=True))
        control._closers.append(terminal.events.subscribe(on_result, last=True))
    if feed is not None:
        feed.start()
        control._closers.append(feed.stop)
    return control


def _print_sale(terminal: Terminal, tx_id: str) -> None:
    try:
        tx = terminal.get(tx_id)
        if not terminal.receipts.due(tx):      # the core's receipt policy: a captured sale gets a slip
            return
        result = terminal.receipts.print(tx)
        if not result.printed and result.message:
            log.warning("receipt not printed", extra={"txId": tx_id, "reason": result.message})
    except Exception:
        log.exception("receipt printing failed")
