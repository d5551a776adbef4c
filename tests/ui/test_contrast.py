"""Text contrast at least 4.5:1 (WCAG AA) on the coloured result screens and the banners:
white on amber was 3.2:1, the warning banner 3.5:1, small translucent text on green 3.9:1."""
from __future__ import annotations

import pytest
from kivy.uix.button import Button
from kivy.uix.label import Label

from ui.screens.result import COLOURS as RESULT_COLOURS
from ui.widgets.banner import COLOURS as BANNER_COLOURS

pytestmark = pytest.mark.ui


def luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    alpha = fg[3] if len(fg) > 3 else 1.0
    shown = [alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg[:3])]   # translucent text, blended
    hi, lo = sorted((luminance(shown), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_ratio_of_the_reference_pairs():
    assert round(contrast((1, 1, 1, 1), (0, 0, 0, 1)), 1) == 21.0
    assert round(contrast((1, 1, 1, 1), (0.78, 0.50, 0.04, 1)), 1) < 4.5       # the old amber fails


def test_banner_text_has_contrast_4_5():
    low = {k: round(contrast((1, 1, 1, 1), c), 2) for k, c in BANNER_COLOURS.items() if contrast((1, 1, 1, 1), c) < 4.5}
    assert not low, low


def test_every_label_on_every_result_screen_has_contrast_4_5(ui):
    app = ui.app
    result = app.screens["result"]
    app.go("result", tx=None, error=None)
    low = []
    for kind, colour in RESULT_COLOURS.items():
        result.kind, result.colour = kind, colour
        ui.frames(2)
        icon = result.ids.icon.__self__          # ids are weak proxies
        for w in result.walk(restrict=True):
            if not isinstance(w, Label) or isinstance(w, Button) or not w.text or w.opacity == 0:
                continue                   # buttons keep their own dark background
            bg = (1, 1, 1, 1) if w.parent is icon else colour     # the glyph sits on the white disc
            ratio = contrast(tuple(w.color), bg)
            if ratio < 4.5:
                low.append((kind, w.text[:30], round(ratio, 2)))
    result.new_sale()
    assert not low, low
