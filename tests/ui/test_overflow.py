"""Text overflow: on every screen, in English, French and Chinese, no label's text is wider or
taller than its widget (it would spill over its neighbours or be cut off)."""
from __future__ import annotations

import pytest
from kivy.uix.label import Label

pytestmark = pytest.mark.ui
SLACK = 2   # px: rounding


def overflowing(root):
    for w in root.walk(restrict=True):
        if not isinstance(w, Label) or not w.text or w.opacity == 0 or w.width <= 0 or w.height <= 0:
            continue
        tw, th = w.texture_size
        if tw > w.width + SLACK or th > w.height + SLACK:
            yield w


@pytest.mark.parametrize("lang", ["en", "fr_CA", "zh_Hans"])
def test_no_text_overflows_on_any_screen(ui, lang):
    from tests.ui.helpers import start_sale, type_amount

    app = ui.app
    app.set_language(lang)
    found = []

    def check(name: str) -> None:
        ui.frames(3)
        ui.settle()
        for root in (app.sm.current_screen, app.banners):
            found.extend((name, w.text[:40], tuple(round(v) for v in w.texture_size), tuple(round(v) for v in w.size))
                         for w in overflowing(root))
    sale = app.screens["sale"]
    type_amount(ui, "100")
    ui.tap(sale.tip_buttons["custom"])
    type_amount(ui, "9999")
    check("sale-tip")
    sale.clear()
    sale.staff_open = True            # the manager/technician row
    check("sale-staff")
    sale.staff_open = False
    for name in ("sale", "history", "open", "batch", "technician", "lock", "error"):
        app.go(name)
        check(name)
    app.go("sale")
    ui.screen("sale")
    start_sale(ui, "150")
    check("scan")
    ui.tap(app.screens["scan"].ids.cancel_btn)
    ui.screen("sale")
    app.go("result", tx=None, error=None)
    check("result")
    app.screens["result"].new_sale()
    app.screens["sale"].open_batch()
    check("pin")
    app.screens["pin"].back()
    assert not found, f"{len(found)} overflowing texts in {lang} (screen, text, texture, size): {found}"
