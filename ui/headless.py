"""Running the real app without a display (tests, screenshots, benchmark).

Kivy reads its environment at import: ``prepare_environment`` must run before anything imports
kivy. ``AppDriver`` advances frames instead of sleeping (kivy.tests.common style), taps
widgets through the same dispatch a touch uses, and takes screenshots from ``Window.on_flip``
after ``canvas.ask_update()`` (a screenshot from a plain Clock callback is black).
"""
from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import PosApp


def prepare_environment(*, width: int = 800, height: int = 480, home: str | None = None,
                        maxfps: int = 60) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_CONFIG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # Kivy's default log mode replaces sys.stderr with a stream into its Logger; with the console
    # log off, a traceback (a failed wait, a window that could not open) then vanished and a
    # child process died with exit 1 and nothing on stderr. Python mode leaves stderr alone.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", home or tempfile.mkdtemp(prefix="kivy-home-"))
    from .process_settings import prepare_app_process

    prepare_app_process()     # what `pos-terminal run` applies: measured and tested as a till runs
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "maxfps", str(maxfps))   # tests use 0: frames as fast as they render


def _finish_frame(*_args: Any) -> None:
    from kivy.graphics.opengl import glFinish

    glFinish()


def finish_each_frame() -> None:
    """Draw each frame when it is flipped, as a display does.

    On a display, the buffer swap makes the GL driver draw the frame. Offscreen, SDL swaps a
    pbuffer, which by the EGL rules does nothing, so Mesa's software renderer (llvmpipe) kept
    every frame's commands binned in one growing scene until the scene filled (about 36 MB of
    native heap), then drew them all at once. In bench/ui_memory.py that was most of the RSS
    step over the first sales (the processing spinner redraws every frame), and it varied with
    the machine's load (more frames per payment). A glFinish after each flip bounds the driver
    to one frame, as a real swap does; idempotent (bound once)."""
    if os.environ.get("SDL_VIDEODRIVER") != "offscreen":
        return
    from kivy.core.window import Window

    Window.unbind(on_flip=_finish_frame)    # bound once however often a driver starts
    Window.bind(on_flip=_finish_frame)


@functools.cache
def _touch_class() -> type:
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def depack(self, args: dict) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)
    return Touch


def _touch(window: Any, x: float, y: float) -> Any:   # Kivy objects: Kivy has no type information
    """One finger at window position (x, y), as kivy.tests.common.UnitTestTouch makes it; that
    module imports pytest (and pygments, unittest...), which a benchmark or the screenshot
    script must not carry: bench/ui_memory.py counted it as the app's memory."""
    touch = _touch_class()("Touch", 99, {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)},
                           is_touch=True, type_id="touch")
    touch.profile = ["pos"]
    return touch


class Timeout(AssertionError):
    pass


class AppDriver:
    def __init__(self, app: PosApp):
        self.app = app

    def start(self) -> AppDriver:
        self.app._run_prepare()
        finish_each_frame()
        self.frames(2)
        return self

    def stop(self) -> None:
        from kivy.base import stopTouchApp

        self.app.stop()
        stopTouchApp()

    @staticmethod
    def frames(n: int = 1) -> None:
        """Advance n frames, with the error handling of Kivy's own main loop (EventLoop.mainloop):
        an exception goes to the ExceptionManager, and is raised only if no handler takes it."""
        from kivy.base import EventLoop, ExceptionManager

        for _ in range(n):
            try:
                EventLoop.idle()
            except BaseException as exc:
                if ExceptionManager.handle_exception(exc) == ExceptionManager.RAISE:
                    raise

    def idle_until(self, condition: Callable[[], bool], *, max_frames: int = 200_000,
                   timeout_s: float = 30.0, what: str = "condition") -> None:
        """Advance frames until ``condition()``. Bounded (frames, and a generous wall-clock
        guard) so a bug fails with a message instead of hanging; never a timing assertion."""
        deadline = time.monotonic() + timeout_s
        for _ in range(max_frames):
            if condition():
                return
            if time.monotonic() > deadline:
                break
            self.frames(1)
        raise Timeout(f"{what} not reached (screen {self.app.current})")

    def settle(self) -> None:
        """Let background jobs finish and their results reach the UI."""
        self.idle_until(lambda: self.app.worker.busy == 0, what="worker idle")
        self.frames(2)

    def screen(self, name: str) -> None:
        self.idle_until(lambda: self.app.current == name, what=f"screen {name}")
        self.frames(2)   # lay the new screen out before anyone taps on it

    @staticmethod
    def tap(widget: Any) -> None:
        """Press and release through the widget's own touch handling."""
        from kivy.base import EventLoop

        assert not widget.disabled, f"{widget} is disabled"
        x, y = widget.to_window(*widget.center)
        touch = _touch(EventLoop.window, x, y)
        EventLoop.post_dispatch_input("begin", touch)
        EventLoop.post_dispatch_input("end", touch)

    def screenshot(self, path: Path) -> Path:
        from kivy.core.window import Window

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        taken: list[str] = []

        def on_flip(*_a: Any) -> None:
            if not taken:
                taken.append(Window.screenshot(name=str(path.with_suffix("")) + "%(counter)s.png"))

        Window.bind(on_flip=on_flip)
        try:
            Window.canvas.ask_update()
            self.idle_until(lambda: bool(taken), max_frames=50, what="screenshot")
        finally:
            Window.unbind(on_flip=on_flip)
        os.replace(taken[0], path)
        return path


def wait_worker(app: PosApp, timeout_s: float = 30.0) -> None:
    """For scripts: bounded wait for background jobs while still pumping frames."""
    deadline = time.monotonic() + timeout_s
    driver = AppDriver(app)
    while app.worker.busy and time.monotonic() < deadline:
        driver.frames(1)
