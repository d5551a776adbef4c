"""A virtual printer for the demo, rigs and UI tests: keeps what it printed (as text and as
ESC/POS bytes) and can be switched into paper-out or offline to exercise the error paths."""
from __future__ import annotations

import threading

from .base import Printer, PrinterStatus, PrintResult, advice
from .document import ReceiptDocument
from .escpos_render import render_escpos
from .text_render import render_text


class VirtualPrinter(Printer):
    kind = "virtual"

    def __init__(self, *, width: int = 32, keep: int = 50) -> None:
        self.width = width
        self.keep = keep
        self.paper_out = False
        self.offline = False
        self.paper_low = False
        self.printed: list[str] = []  # text renderings, oldest first
        self.raw: list[bytes] = []
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        if self.offline:
            return PrinterStatus.OFFLINE
        if self.paper_out:
            return PrinterStatus.PAPER_OUT
        return PrinterStatus.PAPER_LOW if self.paper_low else PrinterStatus.READY

    def print_document(self, doc: ReceiptDocument) -> PrintResult:
        status = self.status()
        if status in (PrinterStatus.OFFLINE, PrinterStatus.PAPER_OUT):
            return PrintResult(False, status, advice(status))
        data = render_escpos(doc, width=self.width)
        with self._lock:
            self.printed.append(render_text(doc, width=self.width))
            self.raw.append(data)
            del self.printed[:-self.keep], self.raw[:-self.keep]
        return PrintResult(True, status, advice(status), len(data))
