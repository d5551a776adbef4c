"""Error banners: what went wrong and what to do, one per source, never a traceback."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

Builder.load_string("""
<Banner>:
    size_hint_y: None
    height: max(dp(48), lbl.texture_size[1] + dp(12))
    padding: dp(10), dp(2)
    canvas.before:
        Color:
            rgba: root.colour
        Rectangle:
            pos: self.pos
            size: self.size
    Label:
        id: lbl
        text: root.text
        font_size: "17sp"
        text_size: self.width, None
        halign: "left"
        valign: "middle"
    Button:
        text: "×"
        font_size: "26sp"
        size_hint_x: None
        width: dp(48)
        background_normal: ""
        background_color: 0, 0, 0, 0.15
        on_release: root.dismiss()

<BannerBar>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
""")

COLOURS = {"error": (0.70, 0.16, 0.16, 1), "warning": (0.72, 0.50, 0.05, 1), "info": (0.16, 0.38, 0.62, 1)}


class Banner(BoxLayout):
    text = StringProperty("")
    key = StringProperty("")
    colour = ListProperty(COLOURS["error"])

    def dismiss(self) -> None:
        if self.parent is not None:
            self.parent.clear(self.key)


class BannerBar(BoxLayout):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._by_key: dict[str, Banner] = {}
        self._timers: dict[str, object] = {}

    def show(self, key: str, text: str, level: str = "error", timeout: float | None = None) -> None:
        banner = self._by_key.get(key)
        if banner is None:
            banner = Banner(key=key)
            self._by_key[key] = banner
            self.add_widget(banner)
        banner.text, banner.colour = text, COLOURS.get(level, COLOURS["error"])
        if key in self._timers:
            self._timers.pop(key).cancel()
        if timeout:
            self._timers[key] = Clock.schedule_once(lambda _dt: self.clear(key), timeout)

    def clear(self, key: str) -> None:
        banner = self._by_key.pop(key, None)
        if banner is not None:
            self.remove_widget(banner)

    def texts(self) -> dict[str, str]:
        return {k: b.text for k, b in self._by_key.items()}
