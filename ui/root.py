"""The root layout: error banners above the screen manager."""
from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.uix.boxlayout import BoxLayout

from .widgets.banner import BannerBar  # noqa: F401  (registers the kv class)

Builder.load_string("""
<PosRoot>:
    orientation: "vertical"
    canvas.before:
        Color:
            rgba: C.bg
        Rectangle:
            pos: self.pos
            size: self.size
    BannerBar:
        id: banners
    ScreenManager:
        id: sm
""".replace("C.bg", "0.09, 0.10, 0.12, 1"), filename=str(Path(__file__).with_suffix(".kv")))


class PosRoot(BoxLayout):
    pass
