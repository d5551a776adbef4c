"""Serial barcode scanners (USB CDC-ACM or RS-232), read with pyserial.

The port is opened with ``serial.serial_for_url`` so a device path, a pty, ``loop://`` or
``socket://host:port`` all work unchanged. An unplugged scanner is reopened with capped
exponential backoff; state events tell the UI what is going on.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import DeviceError, DeviceNotFound, DevicePermissionDenied, serial_open_error
from .autodetect import find_scanner_port
from .base import Scanner, ScannerState
from .framing import INTER_CHAR_TIMEOUT_S, Framer

log = logging.getLogger("drivers.scanners.serial")


class SerialScanner(Scanner):
    kind = "serial"

    def __init__(self, *, port: str = "auto", baudrate: int = 9600, suffix: str = "CR",
                 max_length: int = 256, gap_s: float = INTER_CHAR_TIMEOUT_S, debounce_s: float = 2.0,
                 backoff_initial_s: float = 0.25, backoff_max_s: float = 10.0,
                 extra_ids: Iterable[tuple[int, int | None]] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(debounce_s=debounce_s, clock=clock)
        self.port = port
        self.baudrate = int(baudrate)
        self._framer_args: dict[str, Any] = {"suffix": suffix, "max_length": max_length, "gap_s": gap_s}
        Framer(**self._framer_args)  # validate the suffix now, at configuration time
        # Read in short slices whatever the inter-character timeout, so stop() and a
        # suffix-NONE code's end are noticed promptly.
        self._read_timeout_s = min(gap_s, 0.05)
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._extra_ids = list(extra_ids)
        self._clock = clock
        self._serial = None
        self._resolved = ""
        self.reconnects = 0

    @property
    def where(self) -> str:
        return self._resolved or self.port

    def _details(self) -> dict[str, object]:
        return {"baudrate": self.baudrate, "suffix": self._framer_args["suffix"],
                "reconnects": self.reconnects}

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        delay = self._backoff[0]
        first = True
        while not self._stop.is_set():
            self._set_state(ScannerState.CONNECTING if first else ScannerState.DISCONNECTED,
                            "" if first else self._message)
            try:
                ser = self._open()
            except DeviceError as exc:
                state = ScannerState.FAULT if isinstance(exc, DevicePermissionDenied) \
                    else ScannerState.DISCONNECTED
                self._set_state(state, str(exc))
                first = False
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self._backoff[1])
                continue
            if not first:
                self.reconnects += 1
            first = False
            delay = self._backoff[0]
            self._serial = ser
            self._set_state(ScannerState.READY)
            try:
                self._read_loop(ser)
            finally:
                self._serial = None
                try:
                    ser.close()
                except Exception:  # noqa: BLE001, S110 - best-effort cleanup: the device may already be gone
                    pass
        self._set_state(ScannerState.STOPPED)

    def _open(self) -> Any:   # a pyserial port (pyserial is untyped)
        import serial

        port = self.port
        if port in ("", "auto"):
            found = find_scanner_port(extra_ids=self._extra_ids)
            if found is None:
                raise DeviceNotFound("no barcode scanner found among the serial ports: plug it "
                                     "in (USB) or set scanner.port", device="scanner",
                                     where="auto")
            port = found.device
        self._resolved = port
        try:
            return serial.serial_for_url(port, baudrate=self.baudrate, timeout=self._read_timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise serial_open_error(exc, port) from None

    def _read_loop(self, ser: Any) -> None:
        import serial

        framer = Framer(**self._framer_args)
        while not self._stop.is_set():
            try:
                data = ser.read(max(1, ser.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's fd vanished under it during stop()
                if self._stop.is_set():
                    return
                log.warning("scanner on %s lost: %s", self._resolved, type(exc).__name__)
                self._set_state(ScannerState.DISCONNECTED,
                                f"scanner on {self._resolved} disconnected: check the cable; "
                                "reconnecting")
                return
            now = self._clock()
            results = framer.feed(data, now) if data else framer.poll(now)
            for result in results:
                if result.code is not None:
                    self._deliver(result.code)
                else:
                    self._drop(result.reason or "?")

    def _interrupt(self) -> None:
        ser = self._serial
        if ser is not None:
            try:
                ser.cancel_read()
            except Exception:  # noqa: BLE001, S110 - best-effort cleanup: the device may already be gone
                pass
