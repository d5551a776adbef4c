"""The printer interface. Printing never raises for a device problem: a sale must not fail
because the printer did. ``print_document`` returns a PrintResult saying what happened and,
when it did not print, what to do."""
from __future__ import annotations

import abc
import enum
import logging
from dataclasses import dataclass

from .document import ReceiptDocument

log = logging.getLogger("drivers.printers")


class PrinterStatus(str, enum.Enum):
    READY = "READY"
    PAPER_LOW = "PAPER_LOW"  # prints; tell someone to change the roll
    PAPER_OUT = "PAPER_OUT"
    OFFLINE = "OFFLINE"
    UNKNOWN = "UNKNOWN"  # the transport cannot report status (e.g. a device file)
    DISABLED = "DISABLED"  # printer.kind = "none"


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    status: PrinterStatus
    message: str = ""
    bytes_written: int = 0


class Printer(abc.ABC):
    kind = "?"

    @abc.abstractmethod
    def print_document(self, doc: ReceiptDocument) -> PrintResult:
        """Print ``doc``; never raises for paper-out, offline or a lost connection."""

    def status(self) -> PrinterStatus:
        return PrinterStatus.UNKNOWN

    def health(self) -> tuple[PrinterStatus, str]:
        """Status plus a one-line message for diagnose/status screens."""
        st = self.status()
        return st, _ADVICE.get(st, "")

    def close(self) -> None:
        """Release the device (idempotent)."""


_ADVICE = {
    PrinterStatus.PAPER_OUT: "printer is out of paper (or its cover is open): load a roll",
    PrinterStatus.PAPER_LOW: "printer paper is running low: have a roll ready",
    PrinterStatus.OFFLINE: "printer does not answer: check its power and cable, or "
                           "printer.path",
    PrinterStatus.DISABLED: "no printer configured (printer.kind = \"none\")",
}


def advice(status: PrinterStatus) -> str:
    return _ADVICE.get(status, "")


class NullPrinter(Printer):
    """``printer.kind = "none"``: nothing is printed and nothing fails."""

    kind = "none"

    def print_document(self, doc: ReceiptDocument) -> PrintResult:
        return PrintResult(False, PrinterStatus.DISABLED, advice(PrinterStatus.DISABLED))

    def status(self) -> PrinterStatus:
        return PrinterStatus.DISABLED
