"""Barcode/QR scanners behind one interface (see base.Scanner), built from configuration.

    scanner = build_scanner(kind="serial", port="/dev/ttyACM0", baudrate=9600, suffix="CR")
    scanner.start(on_scan=lambda code: ..., on_state=lambda state: ...)
    scanner.health(); scanner.stop()

Importing this package imports no optional hardware library; backends import theirs when
built, and a missing one raises DependencyMissing naming what to install.
"""
from __future__ import annotations

from typing import Any

from ..errors import DeviceConfigError
from .base import Debouncer, OnScan, OnState, Scanner, ScannerHealth, ScannerState
from .virtual import VirtualScanner

KINDS = ("serial", "camera", "keyboard", "virtual")
_COMMON = {"debounce_s"}
_BY_KIND = {
    "serial": {"port", "baudrate", "suffix", "max_length", "gap_s", "inter_char_timeout_s",
               "backoff_initial_s", "backoff_max_s", "extra_ids"},
    "camera": {"camera", "decoder", "backend", "budget_ms", "width", "height", "loop"},
    "keyboard": {"port", "suffix", "max_interkey_s", "min_length", "max_length", "input",
                 "grab", "on_human"},
    "virtual": set(),
}
# Keys of the [scanner] table that every kind accepts (and ignores when not its own), so the
# core can pass the whole table through.
_SHARED_CONFIG = {"port", "baudrate", "suffix", "camera", "decoder", "input", "inter_char_timeout_s"}


def build_scanner(kind: str = "virtual", **options: Any) -> Scanner:
    """A scanner from plain keyword options (the [scanner] configuration table).

    serial:   port ("auto", device path or pyserial URL), baudrate, suffix (CR|LF|CRLF|TAB|
              NONE), max_length, inter_char_timeout_s (alias gap_s; default 0.3 s: a pause
              inside a code shorter than this does not cut it; with suffix NONE it ends a code)
    camera:   camera (index, /dev/videoN, video file, image pattern), decoder (zxing|pyzbar|
              opencv), backend (opencv|picamera2), budget_ms
    keyboard: input (auto|evdev|app: auto = evdev when a scanner input device is found or
              port names one, else fed by the app), port ("auto" or /dev/input/...),
              suffix, max_interkey_s, min_length
    virtual:  nothing (inject codes with VirtualScanner.inject)
    every kind: debounce_s
    """
    if kind not in KINDS:
        raise DeviceConfigError(f"unknown scanner.kind '{kind}': use one of {', '.join(KINDS)}",
                                device="scanner")
    allowed = _BY_KIND[kind] | _COMMON
    unknown = set(options) - allowed - _SHARED_CONFIG
    if unknown:
        raise DeviceConfigError(f"scanner.{min(unknown)}: not an option of a {kind} "
                                "scanner", device="scanner")
    opts = {k: v for k, v in options.items() if k in allowed}
    if "suffix" in opts:
        suffix = str(opts["suffix"]).upper()
        if suffix not in ("CR", "LF", "CRLF", "TAB", "NONE"):
            raise DeviceConfigError(f"scanner.suffix '{opts['suffix']}': use CR, LF, CRLF, TAB "
                                    "or NONE", device="scanner")
        opts["suffix"] = suffix
    if kind == "virtual":
        return VirtualScanner(**opts)
    if kind == "serial":
        from .serial_scanner import SerialScanner

        if "inter_char_timeout_s" in opts:
            opts["gap_s"] = float(opts.pop("inter_char_timeout_s"))

        return SerialScanner(**opts)
    if kind == "camera":
        from ..decoding.backends import BACKENDS
        from .camera import CameraScanner

        decoder = opts.get("decoder", "zxing")
        if decoder not in BACKENDS:
            raise DeviceConfigError(f"scanner.decoder '{decoder}': use one of "
                                    f"{', '.join(BACKENDS)}", device="scanner")
        return CameraScanner(**opts)
    return _build_keyboard(opts)


def _build_keyboard(opts: dict[str, Any]) -> Scanner:
    from . import keyboard_evdev
    from .keyboard import KeyboardWedgeScanner

    mode = opts.pop("input", "auto")
    port = str(opts.pop("port", "auto"))
    grab = opts.pop("grab", True)
    if mode not in ("auto", "evdev", "app"):
        raise DeviceConfigError(f"scanner.input '{mode}': use auto, evdev or app",
                                device="scanner")
    # auto: read the device headlessly through evdev when it is there (then the app does not
    # see the keys: the device is grabbed); otherwise the app feeds its keyboard events.
    use_evdev = mode == "evdev" or (
        mode == "auto" and keyboard_evdev.is_usable()
        and (port.startswith("/dev/input/")
             or (port in ("", "auto") and keyboard_evdev.EvdevWedgeScanner.find_device())))
    if use_evdev:
        return keyboard_evdev.EvdevWedgeScanner(device=port, grab=grab, **opts)
    fallback = ""
    if mode == "auto":
        fallback = ("no keyboard-wedge scanner input device found under /dev/input (is it "
                    "plugged in, and is the user in the input group?)"
                    if keyboard_evdev.is_usable() else
                    "python-evdev is not installed, so input devices cannot be read headless")
    return KeyboardWedgeScanner(fallback=fallback, **opts)


__all__ = [
    "KINDS",
    "Debouncer",
    "OnScan",
    "OnState",
    "Scanner",
    "ScannerHealth",
    "ScannerState",
    "VirtualScanner",
    "build_scanner",
]
