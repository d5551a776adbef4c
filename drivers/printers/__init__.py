"""Receipt printers behind one interface (base.Printer), built from configuration.

    printer = build_printer(kind="file", path="receipts.txt")
    result = printer.print_document(ReceiptDocument().text("Shop", align="center").cut())
    if not result.printed: show(result.message)      # never raises for paper-out/offline

Kinds: serial, usb, network, file, virtual, dummy (tests), none.
"""
from __future__ import annotations

import importlib
from typing import Any

from ..errors import DependencyMissing, DeviceConfigError
from .base import NullPrinter, Printer, PrinterStatus, PrintResult, advice
from .document import Columns, CopyMarker, Cut, Feed, QRBlock, ReceiptDocument, Separator, TextLine
from .escpos_render import CJK_MODES, render_escpos
from .text_render import render_text
from .virtual_printer import VirtualPrinter

KINDS = ("serial", "usb", "network", "file", "virtual", "dummy", "none")
_COMMON = {"width", "profile", "cjk"}
# Keys of the [printer] configuration table: every kind accepts them (ignoring the ones that
# are not its own) so the core can pass the whole table through.
_SHARED_CONFIG = {"path", "host", "port", "baudrate", "usb_vendor_id", "usb_product_id",
                  "query_status"}
_BY_KIND = {
    "serial": {"path", "baudrate", "timeout", "query_status"},
    "usb": {"path", "vendor_id", "product_id", "usb_vendor_id", "usb_product_id",
            "query_status"},
    "network": {"path", "host", "port", "timeout", "query_status"},
    "file": {"path", "format"},
    "virtual": set(),
    "dummy": {"query_status"},
    "none": set(),
}


def _usable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
        return False
    return True


def build_printer(kind: str = "none", **options: Any) -> Printer:
    """A printer from plain keyword options (the [printer] configuration table).

    serial:  path (/dev/ttyUSB0 or pyserial URL), baudrate (19200)
    usb:     vendor_id, product_id (ints or "0x04b8"), or path "04b8:0202"
    network: path "host[:port]" or host, port (9100)
    file:    path, format (auto | text | escpos)
    virtual: (in-memory, with paper_out / offline switches)
    every kind: width (characters per line: 32 for 58 mm, 48 for 80 mm), profile
    (python-escpos printer profile), cjk ("auto" | "gb18030" | "raster" | "none": how
    Chinese is printed, see escpos_render), query_status (ask DLE EOT before printing)
    """
    if kind not in KINDS:
        raise DeviceConfigError(f"unknown printer.kind '{kind}': use one of "
                                f"{', '.join(KINDS)}", device="printer")
    unknown = set(options) - _BY_KIND[kind] - _COMMON - _SHARED_CONFIG
    if unknown:
        raise DeviceConfigError(f"printer.{min(unknown)}: not an option of a {kind} "
                                "printer", device="printer")
    width = int(options.get("width", 32))
    cjk = options.get("cjk", "auto")
    if cjk not in CJK_MODES:
        raise DeviceConfigError(f"printer.cjk '{cjk}': use {', '.join(CJK_MODES)}",
                                device="printer")
    if cjk == "raster":
        from ..fonts import PREFERRED_PACKAGE, find_cjk_font

        if find_cjk_font() is None:
            raise DeviceConfigError("printer.cjk = \"raster\" needs a CJK font: install "
                                    f"{PREFERRED_PACKAGE}, or use printer.cjk = \"auto\"",
                                    device="printer")
    profile = options.get("profile")
    common = {"width": width, "profile": profile, "cjk": cjk}
    path = str(options.get("path", "") or "")
    if kind == "none":
        return NullPrinter()
    if kind == "virtual":
        return VirtualPrinter(width=width)
    if kind == "file":
        if not path:
            raise DeviceConfigError("printer.path: required for a file printer",
                                    device="printer")
        from .file_printer import FilePrinter

        return FilePrinter(path, fmt=options.get("format", "auto"), **common)

    from .escpos_printer import EscposPrinter

    query = bool(options.get("query_status", kind != "dummy"))
    if kind == "dummy":
        from escpos.printer import Dummy

        return EscposPrinter(make_device=lambda: Dummy(profile=profile), kind="dummy",
                             where="memory", query_status=query, **common)
    if kind == "serial":
        if not _usable("serial"):
            raise DependencyMissing("serial", "pyserial (pip install pyserial)",
                                    device="printer")
        if not path:
            raise DeviceConfigError("printer.path: the serial port, e.g. /dev/ttyUSB0",
                                    device="printer")
        baud = int(options.get("baudrate", 19200))
        timeout = float(options.get("timeout", 1.0))

        def make_serial() -> Any:   # an escpos printer (escpos is untyped)
            from escpos.printer import Serial

            return Serial(devfile=path, baudrate=baud, timeout=timeout, profile=profile)

        return EscposPrinter(make_device=make_serial, kind="serial", where=path,
                             query_status=query, **common)
    if kind == "usb":
        if not _usable("usb.core"):
            raise DependencyMissing("usb", "pyusb (pip install pyusb) and libusb-1.0-0",
                                    device="printer")
        vid, pid = _usb_ids(options, path)

        def make_usb() -> Any:
            from escpos.printer import Usb

            return Usb(idVendor=vid, idProduct=pid, profile=profile)

        return EscposPrinter(make_device=make_usb, kind="usb", where=f"{vid:04x}:{pid:04x}",
                             query_status=query, **common)
    host, port = _host_port(options, path)
    timeout = float(options.get("timeout", 5.0))

    def make_network() -> Any:
        from escpos.printer import Network

        return Network(host=host, port=port, timeout=timeout, profile=profile)

    return EscposPrinter(make_device=make_network, kind="network", where=f"{host}:{port}",
                         query_status=query, **common)


def _usb_ids(options: dict[str, Any], path: str) -> tuple[int, int]:
    vid = options.get("vendor_id") or options.get("usb_vendor_id") or None
    pid = options.get("product_id") or options.get("usb_product_id") or None
    if (vid is None or pid is None) and ":" in path:
        vid, pid = path.split(":", 1)
    try:
        return (int(vid, 16) if isinstance(vid, str) else int(vid),  # type: ignore[arg-type] # None: TypeError below
                int(pid, 16) if isinstance(pid, str) else int(pid))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DeviceConfigError("printer.vendor_id/product_id: the USB ids, e.g. path = "
                                "\"04b8:0202\" (see lsusb)", device="printer") from None


def _host_port(options: dict[str, Any], path: str) -> tuple[str, int]:
    host = options.get("host") or path
    port = options.get("port") or 9100
    if ":" in host:
        host, _, p = host.rpartition(":")
        port = p
    if not host:
        raise DeviceConfigError("printer.path: the printer's address, e.g. 192.168.1.50:9100",
                                device="printer")
    try:
        return host, int(port)
    except ValueError:
        raise DeviceConfigError(f"printer port '{port}' is not a number",
                                device="printer") from None


__all__ = [
    "KINDS",
    "Columns",
    "CopyMarker",
    "Cut",
    "Feed",
    "NullPrinter",
    "PrintResult",
    "Printer",
    "PrinterStatus",
    "QRBlock",
    "ReceiptDocument",
    "Separator",
    "TextLine",
    "VirtualPrinter",
    "advice",
    "build_printer",
    "render_escpos",
    "render_text",
]
