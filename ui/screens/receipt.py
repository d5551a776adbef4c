"""Receipt: a preview of the slip, print, no receipt, reprint (a marked copy)."""
from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from .base import PosScreen


class ReceiptScreen(PosScreen):
    preview = StringProperty("")
    status = StringProperty("")
    busy = BooleanProperty(False)
    printed = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tx = None
        self.back_to: str | None = None   # None: the receipt of the sale just made
        self.result = None
        self.prints = 0

    def prepare(self, tx=None, back: str | None = None, **_kw) -> None:
        self.tx, self.back_to = tx, back
        self.printed, self.busy, self.status, self.result = False, False, "", None
        self.refresh()

    def refresh(self) -> None:
        if self.tx is None:
            return
        from ..i18n import current_language

        locale = self._receipt_locale(current_language())
        self.app.worker.run(self._render, self.tx, locale, on_done=self._rendered)
        if self.result is not None:
            self._show_result(self.result)

    def _receipt_locale(self, lang: str) -> str:
        from ..i18n import money_locale

        return money_locale(lang, self.app.config_.terminal.locale)

    def _render(self, tx, locale: str) -> str:  # worker thread
        return self.app.terminal.receipt_text(tx, locale)

    def _rendered(self, text: str) -> None:
        self.preview = text

    def print_receipt(self, copy: bool = False) -> None:
        self.busy = True
        self.status = self.t("Printing…")
        locale = self._receipt_locale(self.app.lang)
        self.app.worker.run(self.app.terminal.print_receipt, self.tx, copy=copy, locale=locale,
                            on_done=self._printed, on_error=self._print_failed)

    def _printed(self, result) -> None:
        self.busy = False
        self.result = result
        self.app.show_print_result(result)
        self._show_result(result)
        if result.printed:
            self.printed = True
            self.prints += 1

    def _show_result(self, result) -> None:
        self.status = self.t("Printed.") if result.printed else self.t("Not printed: check the printer.")

    def _print_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.status = self.t("Not printed: check the printer.")

    def done(self) -> None:
        if self.back_to:      # an earlier payment's receipt (from its notice): the till is as it was
            self.app.go(self.back_to)
            return
        self.app.worker.run(self.app.checkout.acknowledge)
        self.app.go("sale", clear=True)


SCREEN = ReceiptScreen
