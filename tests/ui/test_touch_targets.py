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
    app = ui.app
    small = []
    app.banners.show("printer", "Receipt not printed", "error")
    for name in ("sale", "history", "open", "batch", "technician", "lock", "error"):
        app.go(name)
        ui.frames(3)
        ui.settle()
        for root in (app.sm.current_screen, app.banners):
            small += [(name, getattr(w, "text", "")[:20], round(w.width), round(w.height))
                      for w in pressable(root) if w.width < MIN - 0.5 or w.height < MIN - 0.5]
    from tests.ui.helpers import start_sale

    def check(name: str) -> None:
        ui.frames(3)
        ui.settle()
        small.extend((name, getattr(w, "text", "")[:20], round(w.width), round(w.height))
                     for w in pressable(app.sm.current_screen) if w.width < MIN - 0.5 or w.height < MIN - 0.5)
    app.go("sale")
    ui.screen("sale")
    start_sale(ui, "150")
    check("scan")
    app.screens["scan"].toggle_manual()
    check("scan-manual")
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    app.go("result", tx=None, error=None)
    check("result")
    app.screens["result"].new_sale()
    app.screens["sale"].open_batch()
    check("pin")
    app.screens["pin"].back()
    assert not small, f"buttons under 48 dp (screen, text, w, h): {small}"
