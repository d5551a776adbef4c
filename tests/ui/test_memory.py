"""Memory the UI must not pile up, as counts that cannot flake (RSS itself is for
bench/ui_memory.py: 1,000 sales, both profiles).

- Offscreen, each frame is drawn when flipped (ui/headless.finish_each_frame): without it
  Mesa's software renderer binned every frame's commands in one growing scene (about 1.2 MB
  per redrawn frame of the processing screen, up to ~36 MB), which bench/ui_memory.py
  reported as the app's first-sales RSS step.
- Sales leave nothing behind on the screens: the same widgets, no more live transactions or
  Kivy textures after ten sales than after three.
"""
from __future__ import annotations

import ctypes
import gc

import pytest

from tests.ui.helpers import receipt_then_next_sale, sell, shown

pytestmark = pytest.mark.ui
MB = 1024 * 1024


def malloc_in_use() -> float | None:
    """glibc's bytes in use (mallinfo2), in MB; None on another libc."""
    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                   "fsmblks", "uordblks", "fordblks", "keepcost")]
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):
        return None
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / MB


def test_redrawn_frames_are_drawn_not_piled_up_in_the_gl_driver(ui):
    if malloc_in_use() is None:
        pytest.skip("needs glibc's mallinfo2")
    app = ui.app
    app.resume("processing")          # its spinner redraws the whole window every frame
    ui.frames(5)
    base = malloc_in_use()
    peak = base
    for _ in range(12):
        ui.frames(5)
        peak = max(peak, malloc_in_use())
    frames = app.screens["processing"].frames
    app.resume("sale")
    assert frames >= 50, f"only {frames} frames drawn: the spinner did not redraw"
    # Without a glFinish per flip: ~1.2 MB a frame, 30+ MB within 30 frames.
    assert peak - base < 8, f"malloc in use grew {peak - base:.1f} MB over {frames} redrawn frames"


def screen_widgets(app) -> int:
    return sum(1 for name in app.screens for screen in [app.screens.built(name)] if screen is not None
               for _w in screen.walk(restrict=True))


def live(kind) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), kind))


def test_sales_leave_no_widgets_transactions_or_textures_behind(ui):
    from kivy.graphics.texture import Texture

    from terminal.records import Transaction

    app = ui.app

    def one_sale(i: int) -> None:
        result = sell(ui, str(101 + i), "0000")
        assert result.kind == "approved", shown(result)
        receipt_then_next_sale(ui)

    def transactions() -> int:
        # A background read (the open-payments watch, its notices) may hold a page of
        # transactions at the moment of counting: the fewest over a few settled moments.
        counts = []
        for _ in range(3):
            ui.settle()
            counts.append(live(Transaction))
        return min(counts)

    for i in range(3):               # warm-up: every screen of the sale built and drawn
        one_sale(i)
    before = screen_widgets(app), transactions(), live(Texture)
    for i in range(3, 10):
        one_sale(i)
    after = screen_widgets(app), transactions(), live(Texture)
    assert after[0] == before[0], f"widgets on the screens: {before[0]} after 3 sales, {after[0]} after 10"
    # Kept per sale would be 7 more; a transaction or two in a read in flight is not a leak.
    assert after[1] <= before[1] + 2, f"live transactions: {before[1]} after 3 sales, {after[1]} after 10"
    # A label's texture comes and goes with its text (an "Elapsed: 1 s" on a slow sale): a
    # little slack, but not one per sale.
    assert after[2] <= before[2] + 3, f"live textures: {before[2]} after 3 sales, {after[2]} after 10"
