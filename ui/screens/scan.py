"""Scan: the amount to pay, a live camera preview when a camera is configured (otherwise a clear
prompt for the serial/keyboard scanner), cancel; in the demo a "customer phone" panel that
presents the sandbox's test codes to the virtual scanner."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from terminal.demo_codes import DEMO_CODES, fresh

from ..widgets.keypad import Keypad  # noqa: F401  (kv class)
from .base import PosScreen

if TYPE_CHECKING:
    from drivers.scanners.camera import CameraScanner
    from terminal.checkout import PendingSale
    from terminal.money import Money

PREVIEW_HZ = 10
MAX_CODE_DIGITS = 24
SHOWN_DIGITS = 4      # manual entry shows only the last digits typed; the rest are dots


class ScanScreen(PosScreen):
    total_text = StringProperty("")
    hint = StringProperty("")
    has_camera = BooleanProperty(False)
    cancelling = BooleanProperty(False)
    ready = BooleanProperty(False)      # the checkout is waiting for this sale's scan
    manual = BooleanProperty(False)     # typing the code's digits (scanner unplugged or failing)
    manual_text = StringProperty("")    # masked: never the full code on screen
    manual_len = NumericProperty(0)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.pending: PendingSale | None = None
        self.total: Money | None = None
        scanner = self.app.link.scanner
        camera = scanner is not None and hasattr(scanner, "latest_frame")
        self._camera = cast("CameraScanner", scanner) if camera else None   # a live preview to show
        self.has_camera = self._camera is not None
        self._preview_ev = None
        self._last_seq = -1
        self._digits = ""               # the typed code: memory only, cleared on submit or leave
        self.phone_buttons = {}
        if self.app.demo:
            for label, code, _expected in DEMO_CODES:
                btn = Factory.PhoneCode()
                btn.bind(on_release=lambda _b, c=code: self.present(fresh(c)))   # a new code each time
                self.phone_buttons[label] = btn
                self.ids.codes.add_widget(btn)
        self.refresh()

    def refresh(self) -> None:
        self._refresh_manual()
        total = self.pending.total if self.pending is not None else self.total
        if total is not None:
            self.total_text = self.app.money(total)
        for (label, code, _e), btn in zip(DEMO_CODES, self.phone_buttons.values()):
            btn.text = f"{self.t(label)}  ·…{code[-4:]}"

    def prepare(self, pending: PendingSale | None = None, total: Money | None = None, **_kw: Any) -> None:
        self.pending, self.total = pending, total
        self.ready = pending is not None
        self.hint = ""
        if pending is None:
            self._set_digits("")
            self.manual = False
        self.cancelling = False
        self.refresh()

    def on_enter(self, *args: Any) -> None:
        if self.has_camera and self._preview_ev is None:
            self._preview_ev = Clock.schedule_interval(self._show_frame, 1 / PREVIEW_HZ)

    def on_leave(self, *args: Any) -> None:
        self._set_digits("")
        self.manual = False
        if self._preview_ev is not None:
            self._preview_ev.cancel()
            self._preview_ev = None

    def _show_frame(self, _dt: float) -> None:
        # latest_frame() only reads the frame the camera thread already decoded (no I/O).
        if self._camera is None:
            return
        frame = self._camera.latest_frame()
        if frame is None or frame.seq == self._last_seq:
            return
        self._last_seq = frame.seq
        image = frame.image
        h, w = image.shape[:2]
        texture = self.ids.preview.texture
        if texture is None or texture.size != (w, h):
            texture = Texture.create(size=(w, h), colorfmt="bgr")
            texture.flip_vertical()
        texture.blit_buffer(image.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.ids.preview.texture = texture
        self.ids.preview.canvas.ask_update()

    # -- manual entry ---------------------------------------------------------------------------
    def toggle_manual(self) -> None:
        self.manual = not self.manual
        self._set_digits("")
        self._refresh_manual()

    def _set_digits(self, digits: str) -> None:
        self._digits = digits
        self.manual_len = len(digits)

    def _refresh_manual(self) -> None:
        d = self._digits
        if not d:
            self.manual_text = self.t("Type the digits under the customer's code")
        else:
            self.manual_text = "•" * max(0, len(d) - SHOWN_DIGITS) + d[-SHOWN_DIGITS:]

    def manual_key(self, key: str) -> None:
        d = self._digits
        if key == "back":
            d = d[:-1]
        elif key == "C":
            d = ""
        elif key.isdigit() and len(d) < MAX_CODE_DIGITS:
            d += key
        self._set_digits(d)
        self._refresh_manual()

    def submit_manual(self) -> None:
        """The typed digits go the way a scan goes (the checkout checks and refuses them the
        same way); the screen keeps nothing of them."""
        code, self._digits = self._digits, ""
        self.manual_len = 0
        self._refresh_manual()
        if code:
            self.app.worker.run(self.app.link.present_typed, code)

    def present(self, code: str) -> None:
        """The demo phone shows a code to the (virtual) scanner."""
        self.app.worker.run(self.app.link.present, code)

    def cancel(self) -> None:
        self.cancelling = True
        tx_id = self.pending.tx_id if self.pending else None
        self.app.worker.run(self.app.checkout.cancel, tx_id, on_done=self._cancelled)

    def _cancelled(self, ok: bool) -> None:
        self.cancelling = False
        if not ok:  # the scan arrived first: the checkout's events take over
            self.hint = self.t("Too late to cancel: the payment is already being processed.")


SCREEN = ScanScreen
