"""Rendering a ReceiptDocument into ESC/POS through a python-escpos printer object.

Everything is rendered into an ``escpos.printer.Dummy`` first and sent as one write, so a
document's bytes are the same whatever the transport, and tests assert them exactly.

Chinese text: python-escpos encodes text through single-byte code pages, where CJK characters
become "?". With ``cjk="gb18030"`` lines containing non-ASCII text are sent in the printer's
Chinese (Kanji) mode, FS & ... FS ., encoded as GB18030, which the common Chinese-market
printers (Xprinter, Rongta, HPRT, Sunmi) understand. Fonts there are double-width, which the
layout helpers already count.
"""
from __future__ import annotations

from .document import (Columns, CopyMarker, Cut, Feed, QRBlock, ReceiptDocument, Separator,
                       TextLine, column_lines, wrap)

FS_KANJI_ON, FS_KANJI_OFF = b"\x1c&", b"\x1c."
ESC, GS = b"\x1b", b"\x1d"
_ALIGN = {"left": 0, "center": 1, "right": 2}
_SIZE = {"normal": 0x00, "tall": 0x01, "wide": 0x10, "double": 0x11}  # GS ! n


class _Style:
    """Sends only the style changes (ESC a, ESC E, GS !): short, predictable byte streams."""

    def __init__(self, p) -> None:
        self.p = p
        self.align, self.bold, self.size = "left", False, "normal"

    def __call__(self, *, align: str = "left", bold: bool = False, size: str = "normal") -> None:
        if align != self.align:
            self.p._raw(ESC + b"a" + bytes([_ALIGN[align]]))
            self.align = align
        if bold != self.bold:
            self.p._raw(ESC + b"E" + bytes([int(bold)]))
            self.bold = bold
        if size != self.size:
            self.p._raw(GS + b"!" + bytes([_SIZE[size]]))
            self.size = size


def render_escpos(doc: ReceiptDocument, *, width: int | None = None, profile: str | None = None,
                  cjk: str = "none") -> bytes:
    """ESC/POS bytes for ``doc`` (``profile``: a python-escpos printer profile name)."""
    from escpos.printer import Dummy

    width = width or doc.width
    p = Dummy(profile=profile)
    p._raw(ESC + b"@")  # initialise: a known state whatever the previous job left
    style = _Style(p)

    def line(text: str) -> None:
        if cjk == "gb18030" and not text.isascii():
            p._raw(FS_KANJI_ON + text.encode("gb18030", errors="replace") + FS_KANJI_OFF + b"\n")
        else:
            p.textln(text)

    for block in doc.blocks:
        if isinstance(block, TextLine):
            cols = width // 2 if block.size in ("wide", "double") else width
            style(align=block.align, bold=block.bold, size=block.size)
            for text in wrap(block.text, cols):
                line(text)
        elif isinstance(block, Columns):
            style(bold=block.bold)
            for text in column_lines(block.label, block.value, width):
                line(text)
        elif isinstance(block, Separator):
            style()
            p.textln((block.char or "-") * width)
        elif isinstance(block, QRBlock):
            style(align="center")
            p.qr(block.data, size=block.size, native=True)
            p.ln()
            if block.caption:
                line(block.caption)
        elif isinstance(block, CopyMarker):
            style(align="center", bold=True, size="double")
            line(f"*** {block.text} ***")
        elif isinstance(block, Feed):
            p.ln(block.lines)
        elif isinstance(block, Cut):
            style()
            p.cut(mode="PART" if block.partial else "FULL")
    style()
    return p.output
