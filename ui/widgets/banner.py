"""Banners: what went wrong and what to do, one per source, never a traceback; and notices
(an open payment ended) with one action. A banner's text may be a function, re-run when the
language changes, so a banner never stays in the language it was raised in."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

Builder.load_string("""
<Banner>:
    size_hint_y: None
    height: max(dp(48), lbl.texture_size[1] + dp(12))
    padding: dp(10), 0
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
        id: action_btn
        text: root.action_text
        font_size: "17sp"
        size_hint_x: None
        width: (max(dp(96), self.texture_size[0] + dp(24))) if root.action_text else 0
        opacity: 1 if root.action_text else 0
        disabled: not root.action_text
        background_normal: ""
        background_color: 0, 0, 0, 0.35
        on_release: root.act()
    Button:
        id: close_btn
        text: "×"
        font_size: "26sp"
        size_hint_x: None
        width: dp(52)
        size_hint_min_y: dp(48)
        background_normal: ""
        background_color: 0, 0, 0, 0.15
        on_release: root.dismiss()

<BannerBar>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
""")

COLOURS = {"error": (0.70, 0.16, 0.16, 1), "warning": (0.55, 0.36, 0.02, 1), "info": (0.16, 0.38, 0.62, 1),
           "approved": (0.09, 0.45, 0.22, 1)}


class Banner(BoxLayout):
    text = StringProperty("")
    key = StringProperty("")
    action_text = StringProperty("")
    colour = ListProperty(COLOURS["error"])

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.render: Callable[[], str] | None = None
        self.action: tuple[Callable[[], str], Callable[[], None]] | None = None
        self.on_dismiss: Callable[[], None] | None = None

    def rerender(self) -> None:
        if self.render is not None:
            self.text = self.render()
        self.action_text = self.action[0]() if self.action else ""

    def act(self) -> None:
        if self.action is not None:
            callback = self.action[1]
            self.dismiss()
            callback()

    def dismiss(self) -> None:
        if self.on_dismiss is not None:
            self.on_dismiss()
        if self.parent is not None:
            self.parent.clear(self.key)


class BannerBar(BoxLayout):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._by_key: dict[str, Banner] = {}
        self._timers: dict[str, Any] = {}     # Kivy ClockEvents

    def show(self, key: str, text: str | Callable[[], str], level: str = "error", timeout: float | None = None,
             *, action: tuple[Callable[[], str], Callable[[], None]] | None = None,
             on_dismiss: Callable[[], None] | None = None) -> None:
        """``text`` (or a function giving it in the current language); ``action`` is a button
        (label function, callback); ``on_dismiss`` runs when the cashier closes the banner."""
        banner = self._by_key.get(key)
        if banner is None:
            banner = Banner(key=key)
            self._by_key[key] = banner
            self.add_widget(banner)
        banner.render = text if callable(text) else None
        banner.action, banner.on_dismiss = action, on_dismiss
        banner.colour = COLOURS.get(level, COLOURS["error"])
        if callable(text):
            banner.rerender()
        else:
            banner.text = text
            banner.action_text = action[0]() if action else ""
        if key in self._timers:
            self._timers.pop(key).cancel()
        if timeout:
            self._timers[key] = Clock.schedule_once(lambda _dt: self.clear(key), timeout)

    def clear(self, key: str) -> None:
        banner = self._by_key.pop(key, None)
        if banner is not None:
            self.remove_widget(banner)

    def rerender(self) -> None:
        """The language changed: banners built from functions speak the new one."""
        for banner in self._by_key.values():
            banner.rerender()

    def texts(self) -> dict[str, str]:
        return {k: b.text for k, b in self._by_key.items()}
