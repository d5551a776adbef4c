"""Printing to a file: readable UTF-8 text (the demo's receipts.txt) or raw ESC/POS bytes
(a printer device file such as /dev/usb/lp0, or a capture file)."""
from __future__ import annotations

import logging
import os
import stat

from .base import Printer, PrinterStatus, PrintResult
from .document import ReceiptDocument
from .escpos_render import render_escpos
from .text_render import render_text

log = logging.getLogger("drivers.printers.file")


class FilePrinter(Printer):
    """``fmt``: "text", "escpos" or "auto" (ESC/POS for character devices, else text).
    Each document is appended and flushed. A regular file is not
    fsynced: it stands in for paper, and the sale it shows is in the journal, fsynced, from
    which a copy prints again (a per-receipt fsync competed with the journal's own for the
    disk). A device file is still asked to sync, as before (most printer drivers refuse it)."""

    kind = "file"

    def __init__(self, path: str, *, fmt: str = "auto", width: int = 32,
                 profile: str | None = None, cjk: str = "auto") -> None:
        if fmt not in ("auto", "text", "escpos"):
            from ..errors import DeviceConfigError

            raise DeviceConfigError(f"printer.format '{fmt}': use auto, text or escpos",
                                    device="printer")
        self.path = path
        self.fmt = fmt
        self.width = width
        self.profile = profile
        self.cjk = cjk

    def _format(self) -> str:
        if self.fmt != "auto":
            return self.fmt
        try:
            return "escpos" if stat.S_ISCHR(os.stat(self.path).st_mode) else "text"
        except OSError:
            return "text"

    def print_document(self, doc: ReceiptDocument) -> PrintResult:
        if self._format() == "escpos":
            data = render_escpos(doc, width=self.width, profile=self.profile, cjk=self.cjk)
        else:
            data = render_text(doc, width=self.width).encode("utf-8")
        try:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            with open(self.path, "ab") as fh:
                fh.write(data)
                fh.flush()
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    try:
                        os.fsync(fh.fileno())
                    except OSError:  # character devices may refuse fsync
                        pass
        except OSError as exc:
            log.warning("file printer %s failed: %s", self.path, type(exc).__name__)
            hint = "add the user to the lp group" if isinstance(exc, PermissionError) \
                else "check printer.path"
            return PrintResult(False, PrinterStatus.OFFLINE,
                               f"cannot write receipts to {self.path}: {hint}")
        return PrintResult(True, PrinterStatus.READY, "", len(data))

    def _problem(self) -> str:
        """Why no receipt can be written, in a technician's words ("" when one can): a missing
        receipt directory is not a printer without power."""
        parent = os.path.dirname(os.path.abspath(self.path)) or "."
        if os.path.exists(self.path):
            return "" if os.access(self.path, os.W_OK) else \
                f"cannot write to {self.path}: check its owner and mode (a device: add the user to the lp group)"
        existing = parent
        while not os.path.isdir(existing) and existing != os.path.dirname(existing):
            if os.path.exists(existing):      # a file where a directory should be
                return f"the receipt directory {parent} cannot be created ({existing} is not a directory): fix printer.path"
            existing = os.path.dirname(existing)
        if not os.access(existing, os.W_OK):
            what = "does not exist and cannot be created" if existing != parent else "is not writable"
            return f"the receipt directory {parent} {what}: create it for the service user or fix printer.path"
        return ""

    def status(self) -> PrinterStatus:
        return PrinterStatus.OFFLINE if self._problem() else PrinterStatus.READY

    def health(self) -> tuple[PrinterStatus, str]:
        problem = self._problem()
        return (PrinterStatus.OFFLINE, problem) if problem else (PrinterStatus.READY, "")
