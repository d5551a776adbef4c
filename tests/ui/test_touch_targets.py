"""Touch targets: every button a cashier can press on any screen is at least 48 dp each way."""
from __future__ import annotations

import pytest
from kivy.metrics import dp
from kivy.uix.button import Button

pytestmark = pytest.mark.ui
MIN = dp(48)


def pressable(root):
    for w in root.walk(restrict=True):
        if isinstance(w, Button) and w.opacity > 0 and not w.disabled and w.width > 0 and w.height > 0:
            yield w


def test_every_pressable_button_is_at_least_48_dp(ui):
    from tests.ui.helpers import screen_tour

    ui.app.banners.show("printer", "Receipt not printed", "error")
    small = [(name, getattr(w, "text", "")[:20], round(w.width), round(w.height))
             for name, roots in screen_tour(ui) for root in roots for w in pressable(root)
             if w.width < MIN - 0.5 or w.height < MIN - 0.5]
    assert not small, f"buttons under 48 dp (screen, text, w, h): {small}"
