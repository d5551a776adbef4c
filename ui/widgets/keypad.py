"""The numeric keypad shared by the sale, refund and PIN screens: 4 rows, large keys."""
from __future__ import annotations

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.gridlayout import GridLayout

Builder.load_string("""
<KeypadKey@Button>:
    font_size: "28sp"
    background_normal: ""
    background_down: ""
    background_color: (0.20, 0.22, 0.26, 1) if self.state == "normal" else (0.34, 0.37, 0.43, 1)
    size_hint_min_y: dp(48)

<Keypad>:
    cols: 3
    spacing: dp(6)
    KeypadKey:
        text: "1"
        on_release: root.dispatch("on_key", "1")
    KeypadKey:
        text: "2"
        on_release: root.dispatch("on_key", "2")
    KeypadKey:
        text: "3"
        on_release: root.dispatch("on_key", "3")
    KeypadKey:
        text: "4"
        on_release: root.dispatch("on_key", "4")
    KeypadKey:
        text: "5"
        on_release: root.dispatch("on_key", "5")
    KeypadKey:
        text: "6"
        on_release: root.dispatch("on_key", "6")
    KeypadKey:
        text: "7"
        on_release: root.dispatch("on_key", "7")
    KeypadKey:
        text: "8"
        on_release: root.dispatch("on_key", "8")
    KeypadKey:
        text: "9"
        on_release: root.dispatch("on_key", "9")
    KeypadKey:
        text: root.extra_key
        on_release: root.dispatch("on_key", root.extra_key)
    KeypadKey:
        text: "0"
        on_release: root.dispatch("on_key", "0")
    KeypadKey:
        text: "←"
        on_release: root.dispatch("on_key", "back")
""")


class Keypad(GridLayout):
    """Dispatches ``on_key`` with "0".."9", ``extra_key`` ("00" or "C") or "back"."""

    extra_key = StringProperty("00")

    def __init__(self, **kwargs):
        self.register_event_type("on_key")
        super().__init__(**kwargs)

    def on_key(self, key: str) -> None:
        pass

    def press(self, key: str) -> None:
        """Tests and hardware keys: the same path as a touch."""
        self.dispatch("on_key", key)
