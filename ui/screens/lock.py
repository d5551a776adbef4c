"""Idle lock: after ``ui.idle_lock_s`` without a touch (never during a sale) the till shows a
dark screen with the time; a touch brings back the screen the cashier left. Cashiers have no
PIN in this terminal, so the lock hides the till rather than guarding it."""
from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty

from .base import PosScreen


class LockScreen(PosScreen):
    clock_text = StringProperty("")
    merchant = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.back_to = "sale"
        self.merchant = self.app.settings.merchant_name
        self._ev = None

    def prepare(self, back_to: str = "sale", **_kw: Any) -> None:
        self.back_to = back_to if back_to != "lock" else "sale"
        self._tick()

    def on_enter(self, *args: Any) -> None:
        self._ev = Clock.schedule_interval(lambda _dt: self._tick(), 1.0)

    def on_leave(self, *args: Any) -> None:
        if self._ev is not None:
            self._ev.cancel()
            self._ev = None

    def _tick(self) -> None:
        self.clock_text = time.strftime("%H:%M")

    def unlock(self) -> None:
        self.app.resume(self.back_to)    # the screen as it was left, not reset


SCREEN = LockScreen
