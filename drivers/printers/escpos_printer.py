"""ESC/POS printers through python-escpos transports (serial, USB, network, Dummy).

The transport object is created and opened on first use and reopened after a failure, so a
printer switched on after the terminal starts is picked up. Before each document the printer
is asked for its online and paper status (DLE EOT). Many printers (or their cables: a TX-only
serial lead, some USB bridges) never answer: silence is not "offline". A printer that does not
answer is printed to anyway, and is not asked again until its connection is reopened, so a
silent serial printer costs one read timeout per connection instead of two on every receipt.
``query_status=False`` skips the questions altogether.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .base import Printer, PrinterStatus, PrintResult, advice
from .document import ReceiptDocument
from .escpos_render import render_escpos

log = logging.getLogger("drivers.printers.escpos")


class EscposPrinter(Printer):
    """``make_device``: builds an unopened python-escpos printer (Serial, Usb, Network,
    Dummy). ``where``: the port/address shown in messages."""

    def __init__(self, *, make_device: Callable[[], Any], kind: str, where: str,
                 width: int = 32, profile: str | None = None, cjk: str = "auto",
                 query_status: bool = True) -> None:
        self._make_device = make_device
        self.kind = kind
        self.where = where
        self.width = width
        self.profile = profile
        self.cjk = cjk
        self.query_status = query_status
        self._dev: Any = None
        self._answers_status: bool | None = None  # None: not known yet for this connection

    def print_document(self, doc: ReceiptDocument) -> PrintResult:
        data = render_escpos(doc, width=self.width, profile=self.profile, cjk=self.cjk)
        try:
            dev = self._device()
            status = self._query(dev)
            if status in (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE):
                return self._fail(status)
            dev._raw(data)
            flush = getattr(dev, "flush", None)
            if callable(flush):
                flush()
        except Exception as exc:  # any transport failure: report, never raise to the sale  # noqa: BLE001
            log.warning("%s printer at %s failed: %s", self.kind, self.where,
                        type(exc).__name__)
            self._reset()
            return self._fail(PrinterStatus.OFFLINE)
        return PrintResult(True, status, advice(status), len(data))

    def status(self) -> PrinterStatus:
        try:
            return self._query(self._device(), always=True)
        except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
            self._reset()
            return PrinterStatus.OFFLINE

    def close(self) -> None:
        self._reset()

    # ------------------------------------------------------------------ internals

    def _fail(self, status: PrinterStatus) -> PrintResult:
        msg = advice(status)
        if status is PrinterStatus.OFFLINE:
            msg = f"{self.kind} printer at {self.where} does not answer: check its power and " \
                  "cable, or printer.path"
        return PrintResult(False, status, msg)

    def _device(self) -> Any:
        if self._dev is None:
            dev = self._make_device()
            if _needs_open(dev):
                dev.open()
            self._dev = dev
        return self._dev

    def _reset(self) -> None:
        dev, self._dev = self._dev, None
        self._answers_status = None
        if dev is not None:
            try:
                dev.close()
            except Exception:  # noqa: BLE001, S110 - best-effort cleanup: the device may already be gone
                pass

    def _query(self, dev: Any, *, always: bool = False) -> PrinterStatus:
        if not (self.query_status or always) or self._answers_status is False:
            return PrinterStatus.UNKNOWN
        from escpos.constants import (
            RT_MASK_LOWPAPER,
            RT_MASK_NOPAPER,
            RT_MASK_ONLINE,
            RT_STATUS_ONLINE,
            RT_STATUS_PAPER,
        )

        try:
            online = dev.query_status(RT_STATUS_ONLINE)
        except NotImplementedError:  # transport cannot read (Dummy, some USB setups)
            online = b""
        if not online:
            if self._answers_status is None:
                log.info("%s printer at %s does not answer status requests: printing without "
                         "them", self.kind, self.where)
            self._answers_status = False
            return PrinterStatus.UNKNOWN
        self._answers_status = True
        if online[0] & RT_MASK_ONLINE:
            return PrinterStatus.OFFLINE
        paper = dev.query_status(RT_STATUS_PAPER)
        if not paper:
            return PrinterStatus.READY
        if paper[0] & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
            return PrinterStatus.PAPER_OUT
        if paper[0] & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
            return PrinterStatus.PAPER_LOW
        return PrinterStatus.READY


def _needs_open(dev: Any) -> bool:
    # python-escpos transports open lazily through the ``device`` property; opening
    # explicitly surfaces "not found" here instead of in the middle of a document.
    return getattr(dev, "_device", None) is False and type(dev).__name__ != "Dummy"
