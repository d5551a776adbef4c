"""Headless keyboard-wedge scanner on Linux through evdev (python-evdev).

The input device is grabbed, so the scanner's keystrokes do not also reach a console or the
desktop. Key codes are translated with a US layout (scanners are configured for it by default;
most offer a "US keyboard" programming barcode).
"""
from __future__ import annotations

import importlib
import select
import time
from typing import Any

from ..errors import DependencyMissing, DeviceNotFound
from .base import ScannerState
from .keyboard import KeyboardWedgeScanner

_INSTALL = "python-evdev (pip install evdev; Linux only)"

# Linux input key codes (stable kernel ABI, linux/input-event-codes.h) -> (plain, shifted).
_ROWS = {
    2: "1!", 3: "2@", 4: "3#", 5: "4$", 6: "5%", 7: "6^", 8: "7&", 9: "8*", 10: "9(", 11: "0)",
    12: "-_", 13: "=+", 16: "qQ", 17: "wW", 18: "eE", 19: "rR", 20: "tT", 21: "yY", 22: "uU",
    23: "iI", 24: "oO", 25: "pP", 26: "[{", 27: "]}", 30: "aA", 31: "sS", 32: "dD", 33: "fF",
    34: "gG", 35: "hH", 36: "jJ", 37: "kK", 38: "lL", 39: ";:", 40: "'\"", 41: "`~", 43: "\\|",
    44: "zZ", 45: "xX", 46: "cC", 47: "vV", 48: "bB", 49: "nN", 50: "mM", 51: ",<", 52: ".>",
    53: "/?", 57: "  ",
    # keypad (numeric scanners sometimes use it)
    71: "77", 72: "88", 73: "99", 75: "44", 76: "55", 77: "66", 79: "11", 80: "22", 81: "33",
    82: "00", 83: "..", 74: "--", 78: "++", 55: "**", 98: "//",
}
KEY_ENTER, KEY_KPENTER, KEY_TAB = 28, 96, 15
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58


class KeyTranslator:
    """Key events (code, value 0 up / 1 down / 2 repeat) to characters, tracking Shift."""

    def __init__(self) -> None:
        self.shift = False
        self.caps = False

    def event(self, code: int, value: int) -> str | None:
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            self.shift = value != 0
            return None
        if value != 1:
            return None
        if code == KEY_CAPSLOCK:
            self.caps = not self.caps
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            return "\r"
        if code == KEY_TAB:
            return "\t"
        pair = _ROWS.get(code)
        if pair is None:
            return None
        upper = self.shift ^ (self.caps and pair[0].isalpha())
        return pair[1] if upper else pair[0]


def is_usable() -> bool:
    try:
        importlib.import_module("evdev")
    except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
        return False
    return True


class EvdevWedgeScanner(KeyboardWedgeScanner):
    """``device``: an event device path (prefer /dev/input/by-id/...-event-kbd) or "auto":
    the first keyboard-like device whose name mentions a scanner or a scanner maker."""

    kind = "keyboard"
    NAME_HINTS = ("scanner", "barcode", "honeywell", "symbol", "zebra", "datalogic",
                  "newland", "opticon", "metrologic", "hand held")

    def __init__(self, *, device: str = "auto", grab: bool = True, **kwargs: Any) -> None:
        if not is_usable():
            raise DependencyMissing("keyboard (evdev)", _INSTALL, device="scanner")
        super().__init__(**kwargs)
        self.device_path = device
        self.grab = grab
        self._dev: Any = None          # evdev.InputDevice once opened

    @property
    def where(self) -> str:
        return self.device_path

    def _find(self) -> str:
        path = self.find_device()
        if path is None:
            raise DeviceNotFound("no keyboard-wedge scanner found in /dev/input: plug it in or "
                                 "set scanner.port to its /dev/input/by-id/...-event-kbd path",
                                 device="scanner", where="auto")
        return path

    @classmethod
    def find_device(cls) -> str | None:
        """The first input device whose name says it is a barcode scanner, or None."""
        import evdev

        for path in evdev.list_devices():
            try:
                dev = evdev.InputDevice(path)
            except OSError:
                continue
            name = (dev.name or "").lower()
            dev.close()
            if any(h in name for h in cls.NAME_HINTS):
                return path
        return None

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            if self._session():
                delay = 0.5
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, 10.0)

    def _session(self) -> bool:
        """Open, grab and read the device until it goes away. True if it was READY."""
        import evdev

        path = self.device_path
        try:
            if path in ("", "auto"):
                path = self._find()
            dev = evdev.InputDevice(path)
        except PermissionError:
            self._set_state(ScannerState.FAULT, f"scanner on {path}: permission denied: add "
                            "the user to the input group")
            return False
        except (FileNotFoundError, DeviceNotFound) as exc:
            msg = str(exc) if isinstance(exc, DeviceNotFound) else \
                f"scanner not found on {path}: check the cable or set scanner.port"
            self._set_state(ScannerState.DISCONNECTED, msg)
            return False
        self._dev = dev
        if self.grab:
            dev.grab()
        keys = KeyTranslator()
        self._set_state(ScannerState.READY)
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([dev.fd], [], [], self._decoder.max_interkey_s * 2)
                now = time.time()  # evdev timestamps are CLOCK_REALTIME
                if not ready:
                    self._handle(self._decoder.poll(now))
                    continue
                for ev in dev.read():
                    if ev.type != evdev.ecodes.EV_KEY:
                        continue
                    ch = keys.event(ev.code, ev.value)
                    if ch is not None:
                        t = ev.timestamp()
                        self._handle(self._decoder.key(ch, t))
        except OSError:
            self._set_state(ScannerState.DISCONNECTED, f"scanner on {path} disconnected: "
                            "check the cable")
        finally:
            try:
                if self.grab:
                    dev.ungrab()
            except OSError:
                pass
            dev.close()
            self._dev = None
        return True

    def _interrupt(self) -> None:
        pass  # the select() timeout bounds how long the worker takes to see the stop flag
