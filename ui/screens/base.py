"""Base of every screen controller: holds the app (given, not looked up) and re-renders the
texts it computes in Python when the language changes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.screenmanager import Screen

from ..i18n import _

if TYPE_CHECKING:
    from ..app import PosApp


class PosScreen(Screen):
    def __init__(self, *, app: PosApp, **kwargs: Any):
        self.app = app
        super().__init__(**kwargs)
        app.bind(lang=lambda *_a: self.refresh())

    def refresh(self) -> None:
        """Recompute Python-made texts (money, messages) in the current language."""

    @staticmethod
    def t(message: str, **values: Any) -> str:
        text = _(message)
        return text % values if values else text
