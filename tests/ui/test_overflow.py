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
    from tests.ui.helpers import screen_tour

    ui.app.set_language(lang)
    found = [(name, w.text[:40], tuple(round(v) for v in w.texture_size), tuple(round(v) for v in w.size))
             for name, roots in screen_tour(ui) for root in roots for w in overflowing(root)]
    assert not found, f"{len(found)} overflowing texts in {lang} (screen, text, texture, size): {found}"
