"""The scanner seen from the app: scans go to the checkout, faults become banners.

Scanner callbacks arrive on the scanner's worker thread; ``checkout.scan`` is called right
there (never on the UI thread) and only what the UI shows is handed over with the Clock.
A keyboard-wedge scanner that reads through the app is fed from Kivy's keyboard events.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

log = logging.getLogger("ui.scanning")


class ScannerLink:
    def __init__(self, *, scanner, checkout, on_rejected: Callable[[str], None],
                 on_health: Callable[[str, str], None]):
        self.scanner = scanner
        self.checkout = checkout
        self._on_rejected = on_rejected
        self._on_health = on_health
        self._wedge = scanner is not None and hasattr(scanner, "feed") and scanner.kind == "keyboard"

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

    def _on_state(self, state) -> None:  # scanner thread
        health = self.scanner.health()
        Clock.schedule_once(lambda _dt: self._on_health(state.value, health.message), 0)

    # -- keyboard wedge (UI thread: only queues characters for the scanner's own thread) ----
    def bind_keyboard(self, window) -> None:
        if not self._wedge:
            return
        window.bind(on_textinput=lambda _w, text: self.scanner.feed(text))
        window.bind(on_key_down=self._key_down)

    def _key_down(self, _window, key, *_args: Any) -> None:
        if key in (13, 271):  # Enter, keypad Enter
            self.scanner.feed_key("\r")
        elif key == 9:
            self.scanner.feed_key("\t")
