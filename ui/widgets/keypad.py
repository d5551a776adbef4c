"""The numeric keypad shared by the sale, refund and PIN screens: 4 rows, large keys."""
from __future__ import annotations

from typing import Any

from kivy.factory import Factory
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
""")

# (label, key dispatched); None: the screen's extra key ("00" or "C")
LAYOUT = [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"), ("6", "6"),
          ("7", "7"), ("8", "8"), ("9", "9"), None, ("0", "0"), ("←", "back")]


class Keypad(GridLayout):
    """Dispatches ``on_key`` with "0".."9", ``extra_key`` ("00" or "C") or "back"."""

    extra_key = StringProperty("00")

    def __init__(self, **kwargs: Any):
        self.register_event_type("on_key")
        super().__init__(**kwargs)
        for entry in LAYOUT:
            key = Factory.KeypadKey()
            if entry is None:
                key.text = self.extra_key
                self.bind(extra_key=key.setter("text"))
                key.bind(on_release=lambda _k: self.dispatch("on_key", self.extra_key))
            else:
                key.text = entry[0]
                key.bind(on_release=lambda _k, value=entry[1]: self.dispatch("on_key", value))
            self.add_widget(key)

    def on_key(self, key: str) -> None:
        pass

    def press(self, key: str) -> None:
        """Tests and hardware keys: the same path as a touch."""
        self.dispatch("on_key", key)
