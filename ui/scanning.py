"""The scanner seen from the app: scans go to the checkout, faults become banners.

Scanner callbacks arrive on the scanner's worker thread; ``checkout.scan`` is called right
there (never on the UI thread) and only what the UI shows is handed over with the Clock.
A keyboard-wedge scanner that reads through the app is fed from Kivy's keyboard events.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kivy.clock import Clock

if TYPE_CHECKING:
    from drivers.scanners import Scanner, ScannerState
    from drivers.scanners.keyboard import KeyboardWedgeScanner
    from terminal.checkout import Checkout

log = logging.getLogger("ui.scanning")


class ScannerLink:
    def __init__(self, *, scanner: Scanner | None, checkout: Checkout, on_rejected: Callable[[str], None],
                 on_health: Callable[[str, str], None]):
        self.scanner = scanner
        self.checkout = checkout
        self._on_rejected = on_rejected
        self._on_health = on_health
        # a keyboard wedge read through the app's window (not evdev): fed from Kivy's key events
        wedge = scanner is not None and hasattr(scanner, "feed") and scanner.kind == "keyboard"
        self._wedge = cast("KeyboardWedgeScanner", scanner) if wedge else None

    def start(self) -> None:  # worker thread
        if self.scanner is not None:
            self.scanner.start(self._on_scan, self._on_state)

    def stop(self) -> None:  # worker thread
        if self.scanner is not None:
            self.scanner.stop(timeout=2)

    def present(self, code: str) -> None:
        """A code shown to the scanner (demo phone panel); worker thread."""
        if self.scanner is not None and hasattr(self.scanner, "inject"):
            self.scanner.inject(code)
        else:
            self._on_scan(code)

    def present_typed(self, code: str) -> None:
        """Digits the cashier typed (no scanner involved); worker thread."""
        self._on_scan(code)

    def _on_scan(self, code: str) -> None:  # scanner thread
        from terminal.errors import TerminalError

        if self.checkout.state.value != "AWAITING_SCAN":
            log.info("scan ignored: no sale is waiting for a scan")
            return
        try:
            self.checkout.scan(code)
        except TerminalError as exc:
            message = exc.message
            Clock.schedule_once(lambda _dt: self._on_rejected(message), 0)

    def _on_state(self, state: ScannerState) -> None:  # scanner thread
        if self.scanner is None:
            return
        health = self.scanner.health()
        Clock.schedule_once(lambda _dt: self._on_health(state.value, health.message), 0)

    # -- keyboard wedge (UI thread: only queues characters for the scanner's own thread) ----
    def bind_keyboard(self, window: Any) -> None:   # Kivy's Window (Kivy has no type information)
        wedge = self._wedge
        if wedge is None:
            return
        window.bind(on_textinput=lambda _w, text: wedge.feed(text))
        window.bind(on_key_down=self._key_down)

    def _key_down(self, _window: Any, key: int, *_args: Any) -> None:
        wedge = self._wedge
        if wedge is None:
            return
        if key in (13, 271):  # Enter, keypad Enter
            wedge.feed_key("\r")
        elif key == 9:
            wedge.feed_key("\t")
