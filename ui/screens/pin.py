"""Manager / technician PIN entry in front of a protected action.

``ask(role, title, action, on_success)``: ``action(pin, as_owner)`` runs on the worker (it checks
the PIN itself, e.g. ``Terminal.refund(..., pin=)``); WrongPin shows the tries left, PinLocked
shows a countdown read from ``PinVault.locked_for``; any other error goes back to the caller.
For a manager action, "Owner override" takes the owner's PIN instead (``as_owner``): a locked
manager PIN no longer blocks every void and refund until the lock ends.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from terminal.pins import PinLocked, WrongPin

from ..widgets.keypad import Keypad  # noqa: F401
from .base import PosScreen

MAX_PIN = 12


class PinScreen(PosScreen):
    title = StringProperty("")
    prompt = StringProperty("")
    entry = StringProperty("")
    feedback = StringProperty("")
    feedback_level = StringProperty("info")
    busy = BooleanProperty(False)
    locked = BooleanProperty(False)
    can_override = BooleanProperty(False)   # a manager action: the owner PIN may stand in
    owner_mode = BooleanProperty(False)     # the owner PIN is being entered

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.role = "manager"
        self._action: Callable[[str, bool], Any] | None = None
        self._on_success: Callable[[Any], None] | None = None
        self._on_error: Callable[[BaseException], None] | None = None
        self._back = "sale"
        self._locked_left = 0
        self._countdown = None
        self._feedback_msg: tuple[str, dict] = ("", {})

    def ask(self, *, role: str, title: str, action: Callable[[str, bool], Any], on_success: Callable[[Any], None],
            on_error: Callable[[BaseException], None] | None = None, back: str = "sale") -> None:
        self.role, self.title = role, title
        self._action, self._on_success, self._on_error, self._back = action, on_success, on_error, back
        self.can_override, self.owner_mode = role == "manager", False
        self._start_entry()
        self.app.go("pin")

    def _start_entry(self) -> None:
        self.entry = ""
        self._set_feedback("", "info")
        self._stop_countdown()
        self.locked = False
        self.refresh()
        self.app.worker.run(self.app.terminal.access.locked_for, self.role_in_effect(), on_done=self._lock_state,
                            on_error=lambda _e: None)

    def role_in_effect(self) -> str:
        return "owner" if self.owner_mode else self.role

    def toggle_owner(self) -> None:
        """Owner override for a manager action, and back to the manager PIN."""
        if not self.can_override or self.busy:
            return
        self.owner_mode = not self.owner_mode
        self._start_entry()

    def refresh(self) -> None:
        self.prompt = (self.t("Enter the owner PIN") if self.owner_mode else
                       self.t("Enter the manager PIN") if self.role == "manager" else
                       self.t("Enter the technician PIN"))
        msgid, values = self._feedback_msg
        self.feedback = self.t(msgid, **values) if msgid else ""

    def _set_feedback(self, msgid: str, level: str, **values: Any) -> None:
        self._feedback_msg = (msgid, values)
        self.feedback_level = level
        self.refresh()

    def on_key(self, key: str) -> None:
        if key == "back":
            self.entry = self.entry[:-1]
        elif key == "C":
            self.entry = ""
        elif len(self.entry) < MAX_PIN:
            self.entry += key

    def submit(self) -> None:
        if self.busy or self.locked or len(self.entry) < 4 or self._action is None:
            return
        pin, self.entry = self.entry, ""
        self.busy = True
        self._set_feedback("Checking…", "info")
        self.app.worker.run(self._action, pin, self.owner_mode, on_done=self._done, on_error=self._failed)

    def _done(self, result: Any) -> None:
        self.busy = False
        self._set_feedback("", "info")
        if self._on_success is not None:
            self._on_success(result)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        if isinstance(exc, WrongPin):
            match = re.search(r"\((\d+) tries left\)", exc.message)
            if match:
                self._set_feedback("Wrong PIN: %(n)s tries left.", "error", n=match.group(1))
            else:
                self._set_feedback("Wrong PIN.", "error")
        elif isinstance(exc, PinLocked):
            self.app.worker.run(self.app.terminal.access.locked_for, self.role_in_effect(), on_done=self._lock_state)
        elif self._on_error is not None:
            self._set_feedback("", "info")
            self._on_error(exc)
        else:
            self._set_feedback(getattr(exc, "message", "") or "Something went wrong.", "error")

    def _lock_state(self, seconds: float) -> None:
        self._locked_left = int(seconds + 0.999)
        self.locked = self._locked_left > 0
        if self.locked:
            self._show_lock()
            if self._countdown is None:
                self._countdown = Clock.schedule_interval(self._tick, 1.0)

    def _show_lock(self) -> None:
        m, s = divmod(self._locked_left, 60)
        self._set_feedback("Too many wrong PINs: locked for %(time)s.", "error", time=f"{m}:{s:02d}")

    def _stop_countdown(self) -> None:
        if self._countdown is not None:
            self._countdown.cancel()
            self._countdown = None

    def _tick(self, _dt: float) -> None:
        self._locked_left -= 1
        if self._locked_left <= 0:
            self._stop_countdown()
            self.locked = False
            self._set_feedback("", "info")
        else:
            self._show_lock()

    def back(self) -> None:
        """Back to the screen that asked, as it was left (its transaction and amount intact)."""
        self.entry = ""
        self._stop_countdown()
        self.app.resume(self._back)


SCREEN = PinScreen
