"""Receipt: the slip itself as the preview (the printer's text), then the customer's choice:
print, email (when [email] is set up) or none; reprint is a marked copy. Emailing runs on the
worker, so a slow mail server holds up nothing: the cashier may finish and start the next sale.

A failed email is never queued (terminal/email_receipts.py says why): the screen turns Email
into Try again (only when trying again can work) and Print receipt into Print instead; when the
cashier has already moved on, a banner says so, with a Print button."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty, StringProperty

from .base import PosScreen

if TYPE_CHECKING:
    from drivers.printers import PrintResult
    from terminal.records import Transaction

log = logging.getLogger("ui.receipt")


class ReceiptScreen(PosScreen):
    preview = StringProperty("")
    status = StringProperty("")
    busy = BooleanProperty(False)
    printed = BooleanProperty(False)
    email_on = BooleanProperty(False)
    sending = BooleanProperty(False)
    emailed = BooleanProperty(False)
    email_text = StringProperty("")
    has_address = BooleanProperty(False)   # (a kv expression calling .strip() on a property never rebinds)
    email_failed = BooleanProperty(False)  # Email reads Try again, Print receipt reads Print instead
    can_retry = BooleanProperty(True)      # False: trying again cannot help (TLS, login, configuration)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tx: Transaction | None = None
        self.back_to: str | None = None   # None: the receipt of the sale just made
        self.result: PrintResult | None = None
        self.prints = 0

    def prepare(self, tx: Transaction | None = None, back: str | None = None, **_kw: Any) -> None:
        self.tx, self.back_to = tx, back
        self.printed, self.busy, self.status, self.result = False, False, "", None
        self.sending, self.emailed = False, False
        self.email_failed, self.can_retry = False, True
        self.prints = 0          # of this receipt
        self.email_on = self.app.terminal.receipts.email_enabled
        if "email_input" in self.ids:
            self.ids.email_input.text = ""
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

        return money_locale(lang, self.app.settings.locale)

    def _render(self, tx: Transaction, locale: str) -> str:  # worker thread
        return self.app.terminal.receipts.text(tx, locale)

    def _rendered(self, text: str) -> None:
        self.preview = text

    def print_receipt(self, copy: bool = False) -> None:
        self.busy = True
        self.status = self.t("Printing…")
        locale = self._receipt_locale(self.app.lang)
        self.app.worker.run(self.app.terminal.receipts.print, self.tx, copy=copy, locale=locale,
                            on_done=self._printed, on_error=self._print_failed)

    def _printed(self, result: PrintResult) -> None:
        self.busy = False
        self.result = result
        self.app.show_print_result(result)
        self._show_result(result)
        if result.printed:
            self.printed = True
            self.prints += 1

    def _show_result(self, result: PrintResult) -> None:
        self.status = self.t("Printed.") if result.printed else self.t("Not printed: check the printer.")

    def _print_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.status = self.t("Not printed: check the printer.")

    def on_email_text(self, _screen: ReceiptScreen, text: str) -> None:
        self.has_address = bool(text.strip())

    def email_receipt(self, address: str) -> None:
        if self.sending or not self.email_on or not address.strip() or self.tx is None:
            return
        self.sending = True
        self.status = self.t("Sending the receipt…")
        locale = self._receipt_locale(self.app.lang)
        tx = self.tx
        self.app.worker.run(self.app.terminal.receipts.email, tx, address, locale=locale,
                            on_done=lambda _r: self._emailed(tx), on_error=lambda exc: self._email_failed(tx, exc))

    def _emailed(self, tx: Transaction) -> None:
        if tx is not self.tx:      # the cashier moved on: the mail went anyway
            return
        self.sending, self.emailed = False, True
        self.status = self.t("Receipt emailed.")

    def _email_failed(self, tx: Transaction, exc: BaseException) -> None:
        from terminal.email_receipts import EmailError
        from terminal.errors import InputError

        code = getattr(exc, "code", type(exc).__name__)
        # the technician's detail goes to the log; a refused address is the customer's: code only
        log.warning("receipt not emailed (%s)%s", code,
                    f": {exc.message}" if isinstance(exc, EmailError) and code != "EMAIL_REFUSED" else "")
        if not self._showing(tx):      # the cashier moved on: say so where they are now, with Print
            self._tell_moved_on(tx)
            return
        self.sending = False
        if isinstance(exc, InputError):
            self.status = self.t("Not an email address: check it with the customer.")
        elif code == "EMAIL_REFUSED":
            self.status = self.t("The mail server refused that address: check it with the customer.")
        elif isinstance(exc, EmailError) and not exc.retry_may_help:
            self.email_failed, self.can_retry = True, False
            self.status = self.t("Email is not working on this terminal: print the receipt, and tell a technician.")
        else:
            self.email_failed, self.can_retry = True, True
            self.status = self.t("Receipt not emailed: try again, or print it.")

    def _showing(self, tx: Transaction) -> bool:
        """This screen is up, for this payment (the cashier may have pressed Done meanwhile)."""
        return tx is self.tx and self.app.current == self.name

    def _tell_moved_on(self, tx: Transaction) -> None:
        from ..i18n import _

        app = self.app
        amount = app.money(tx.amount)

        def print_it() -> None:
            app.banners.clear("email")
            app.worker.run(app.terminal.receipts.print, tx, on_done=app.show_print_result)

        app.banners.show("email", lambda: _("The receipt for %(amount)s was not emailed.") % {"amount": amount},
                         "warning", action=(lambda: _("Print receipt"), print_it))

    def done(self) -> None:
        if self.back_to:      # an earlier payment's receipt (from its notice): the till is as it was
            self.app.go(self.back_to)
            return
        self.app.worker.run(self.app.checkout.acknowledge)
        self.app.go("sale", clear=True)


SCREEN = ReceiptScreen
