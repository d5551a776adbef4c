"""Processing: elapsed time and, during the unknown-result schedule, "checking with the
acquirer…" with its progress. It never shows approved or declined: only the checkout's RESULT
event (with the final transaction) leaves this screen."""
from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from .base import PosScreen


class ProcessingScreen(PosScreen):
    total_text = StringProperty("")
    status_text = StringProperty("")
    elapsed_text = StringProperty("")
    checking = BooleanProperty(False)
    fraction = NumericProperty(0.0)
    angle = NumericProperty(0)
    attempt = NumericProperty(0)
    phase = StringProperty("sending")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tx_id = ""
        self._started = time.monotonic()
        self._tick_ev = None
        self.frames = 0   # frames drawn while processing (the no-freeze test reads it)

    def prepare(self, tx_id: str = "", **_kw: Any) -> None:
        self.tx_id = tx_id
        self._started = time.monotonic()
        self.checking, self.fraction, self.attempt, self.phase = False, 0.0, 0, "sending"
        pending = self.app.screens["scan"].pending
        self.total_text = self.app.money(pending.total) if pending is not None else ""
        self.refresh()

    def on_enter(self, *args: Any) -> None:
        self.frames = 0
        if self._tick_ev is None:
            self._tick_ev = Clock.schedule_interval(self._tick, 0)

    def on_leave(self, *args: Any) -> None:
        if self._tick_ev is not None:
            self._tick_ev.cancel()
            self._tick_ev = None

    def _tick(self, dt: float) -> None:
        self.frames += 1
        self.angle = (self.angle + 360 * dt) % 360
        elapsed = int(time.monotonic() - self._started)
        self.elapsed_text = self.t("Elapsed: %(s)s s", s=elapsed)

    def on_progress(self, tx_id: str, detail: dict) -> None:
        if tx_id != self.tx_id:
            return
        self.phase = detail.get("phase", "inquiring")
        self.attempt = int(detail.get("attempt", 0))
        self.checking = True
        window = self.app.settings.inquiry_window_s
        self.fraction = min(1.0, float(detail.get("elapsedS", 0)) / window) if window else 0.0
        self.refresh()

    def refresh(self) -> None:
        if self.phase == "cancelling":
            self.status_text = self.t("No answer in time: cancelling the payment with the acquirer…")
        elif self.checking:
            self.status_text = self.t("Checking with the acquirer… (attempt %(n)s)", n=self.attempt)
        else:
            self.status_text = self.t("Sending the payment to the acquirer…")


SCREEN = ProcessingScreen
