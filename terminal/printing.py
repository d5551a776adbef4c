"""Printing receipts through the configured printer. A sale never fails because the printer
did: every problem comes back as a PrintResult the UI/CLI shows as a fixable banner."""
from __future__ import annotations

import logging

from drivers.printers import PrinterStatus, PrintResult, build_printer
from drivers.printers.base import NullPrinter, Printer
from drivers.printers.document import ReceiptDocument

from .config import Config
from .receipts import ReceiptBuilder
from .records import Refund, Transaction

log = logging.getLogger("terminal.printing")


def printer_from_config(config: Config) -> tuple[Printer, str]:
    """The configured printer, or a null printer plus the reason it could not be built."""
    p = config.printer
    options = {"path": str(config.state_path(p.path)) if p.kind == "file" else p.path, "host": p.host,
               "port": p.port, "baudrate": p.baudrate, "usb_vendor_id": p.usb_vendor_id,
               "usb_product_id": p.usb_product_id, "width": p.width, "cjk": p.cjk,
               "query_status": p.query_status}
    try:
        return build_printer(kind=p.kind, **options), ""
    except Exception as exc:  # DeviceError and friends: the terminal still sells  # noqa: BLE001
        log.warning("printer unavailable", extra={"reason": str(exc)})
        return NullPrinter(), str(exc)


class ReceiptPrinter:
    def __init__(self, *, printer: Printer, builder: ReceiptBuilder, problem: str = ""):
        self.printer = printer
        self.builder = builder
        self.problem = problem

    def _print(self, doc: ReceiptDocument) -> PrintResult:
        if self.problem:
            return PrintResult(False, PrinterStatus.OFFLINE, self.problem)
        try:
            return self.printer.print_document(doc)
        except Exception as exc:  # a driver bug must not turn into a failed sale
            log.exception("printing failed")
            return PrintResult(False, PrinterStatus.UNKNOWN, f"printing failed ({exc}): check the printer")

    def sale(self, tx: Transaction, *, copy: bool = False, locale: str | None = None) -> PrintResult:
        return self._print(self.builder.sale(tx, copy=copy, locale=locale))

    def refund(self, tx: Transaction, refund: Refund, *, copy: bool = False) -> PrintResult:
        return self._print(self.builder.refund(tx, refund, copy=copy))

    def batch(self, report: dict) -> PrintResult:
        return self._print(self.builder.batch(report))

    def test_print(self, *, locale: str | None = None) -> PrintResult:
        """A test slip (ReceiptBuilder.test_slip) with the printer's status on it; the result's
        message is the printer's advice when nothing came out."""
        from datetime import UTC, datetime

        status, message = self.health()
        doc = self.builder.test_slip(kind=getattr(self.printer, "kind", "?"), status=status, message=message,
                                     when=datetime.now(UTC).isoformat(timespec="seconds"), locale=locale)
        result = self._print(doc)
        if not result.printed and not result.message:
            result = PrintResult(False, result.status, message or "the printer did not print: check it")
        return result

    def health(self) -> tuple[str, str]:
        if self.problem:
            return PrinterStatus.OFFLINE.value, self.problem
        status, message = self.printer.health()
        return status.value, message

    def close(self) -> None:
        self.printer.close()
