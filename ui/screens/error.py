"""The error screen: something failed on the screen itself (a bug), shown instead of the app
closing. It says that payments are safe and leads back to where the checkout really is."""
from __future__ import annotations

from .base import PosScreen


class ErrorScreen(PosScreen):
    def back_to_till(self) -> None:
        self.app.back_to_till()


SCREEN = ErrorScreen
