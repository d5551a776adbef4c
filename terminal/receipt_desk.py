"""Receipts as the front ends ask for them: `terminal.receipts` (Terminal's sub-face).

One place decides when a slip is due (outcome.py's policy), renders the customer slip as text
(the touchscreen's preview and the e-mail body), prints the sale, void, refund, batch and test
slips, and e-mails a slip. The CLI, the control API and the touchscreen call these, so a receipt
looks and behaves the same whichever front end asked; none of them sees the printer driver,
the receipt builder or the SMTP client.

A printer problem never fails a sale: it comes back as a PrintResult (printed or not, and why),
never raised. An e-mail is slow (SMTP): call `email` off the UI thread; the sale is final before.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .batch import BatchReport
from .config import EmailSection
from .outcome import receipt_due
from .records import Refund, Transaction

if TYPE_CHECKING:
    from drivers.printers import PrintResult

    from .email_receipts import ReceiptMailer
    from .printing import ReceiptPrinter


class ReceiptDesk:
    def __init__(self, *, printer: ReceiptPrinter, email: EmailSection, state_dir: Path, merchant_name: str):
        self._printer = printer
        self._email = email
        self._state_dir = state_dir
        self._merchant_name = merchant_name
        self._mailer: ReceiptMailer | None = None    # made on first use (smtplib stays unimported until then)

    def due(self, tx: Transaction) -> bool:
        """The receipt policy (outcome.py): a slip after a captured sale and after a void."""
        return receipt_due(tx)

    def text(self, tx: Transaction, locale: str | None = None) -> str:
        """The customer slip as plain text (the touchscreen's preview, the e-mail's body)."""
        from drivers.printers.text_render import render_text

        return render_text(self._printer.builder.sale(tx, locale=locale))

    def print(self, tx: Transaction, *, copy: bool = False, locale: str | None = None) -> PrintResult:
        """The sale (or void) slip."""
        return self._printer.sale(tx, copy=copy, locale=locale)

    def print_refund(self, tx: Transaction, refund: Refund, *, copy: bool = False) -> PrintResult:
        return self._printer.refund(tx, refund, copy=copy)

    def print_batch_report(self, report: BatchReport | dict) -> PrintResult:
        return self._printer.batch(report.to_api() if isinstance(report, BatchReport) else report)

    def print_test(self, *, locale: str | None = None) -> PrintResult:
        """A test slip through the configured printer (technician screen, `print-test`)."""
        return self._printer.test_print(locale=locale)

    @property
    def email_enabled(self) -> bool:
        """An SMTP server is configured ([email] host): the receipt screen offers e-mail."""
        return bool(self._email.enabled or (self._mailer is not None and self._mailer.enabled))

    def email(self, tx: Transaction, to: str, *, locale: str | None = None) -> None:
        """The customer slip by e-mail (text and HTML) through config [email]; EmailError or
        InputError when not sent."""
        slip = self.text(tx, locale)
        subject = f"{self._merchant_name}: receipt {tx.amount.plain()} {tx.currency}"
        self._mailer_now().send(slip=slip, subject=subject, to=to)

    def _mailer_now(self) -> ReceiptMailer:
        if self._mailer is None:
            from .email_receipts import ReceiptMailer

            self._mailer = ReceiptMailer(self._email, state_dir=self._state_dir)
        return self._mailer

    def printer_status(self) -> tuple[str, str]:
        """(status, message) of the printer, for the one health policy (health.py)."""
        return self._printer.health()
