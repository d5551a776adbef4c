"""Rendering a ReceiptDocument into ESC/POS through a python-escpos printer object.

Everything is rendered into an ``escpos.printer.Dummy`` first and sent as one write, so a
document's bytes are the same whatever the transport, and tests assert them exactly.

Chinese text (``cjk``): python-escpos encodes text through single-byte code pages, where CJK
characters become "?". Printers differ, so the mode is configuration (``printer.cjk``):

- ``auto`` (default): lines with CJK characters go in the printer's Chinese (Kanji) mode,
  FS & ... FS ., encoded as GB18030, which the common Chinese-market printers (Xprinter,
  Rongta, HPRT, Sunmi, Epson TM-T88 China models) understand; the mode is switched on and off
  around each such line, so it prints right whatever mode the printer starts in. Other lines
  (English, French) go through the code pages, so "é" stays "é".
- ``gb18030``: every non-ASCII line in Kanji mode (printers whose code pages lack accents).
- ``raster``: CJK lines drawn with a system CJK font and sent as a raster image (GS v 0), for
  printers without a Chinese font ROM. Slower and larger, but prints on any ESC/POS printer.
- ``none``: code pages only (CJK prints as "?").

Typography that CLDR puts into formatted times and amounts (narrow no-break space in
"6:06 PM" and "12,50 $", no-break space, thin space) has no glyph in the printers' code pages:
it is mapped to a plain space before encoding, so a receipt never says "6:06?PM".
"""
from __future__ import annotations

import unicodedata
from typing import Any

from .document import (
    Columns,
    CopyMarker,
    Cut,
    Feed,
    QRBlock,
    ReceiptDocument,
    Separator,
    TextLine,
    column_lines,
    display_width,
    wrap,
)

FS_KANJI_ON, FS_KANJI_OFF = b"\x1c&", b"\x1c."
ESC, GS = b"\x1b", b"\x1d"
CJK_MODES = ("auto", "gb18030", "raster", "none")
_ALIGN = {"left": 0, "center": 1, "right": 2}
_SIZE = {"normal": 0x00, "tall": 0x01, "wide": 0x10, "double": 0x11}  # GS ! n
# One character for one character, so the layout (already computed in columns) is unchanged.
_PRINTABLE = str.maketrans({
    "\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
    "\u2011": "-", "\u2010": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"',
})
DOTS_PER_COLUMN = 12  # font A: 12 x 24 dots


def printable(text: str) -> str:
    """``text`` with the typographic spaces and punctuation mapped to what code pages hold."""
    return text.translate(_PRINTABLE)


def has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


class _Style:
    """Sends only the style changes (ESC a, ESC E, GS !): short, predictable byte streams."""

    def __init__(self, p: Any) -> None:   # an escpos printer (escpos is untyped)
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
                  cjk: str = "auto") -> bytes:
    """ESC/POS bytes for ``doc`` (``profile``: a python-escpos printer profile name)."""
    from escpos.printer import Dummy

    if cjk not in CJK_MODES:
        raise ValueError(f"cjk must be one of {', '.join(CJK_MODES)}, not {cjk!r}")
    width = width or doc.width
    p = Dummy(profile=profile)
    p._raw(ESC + b"@")  # initialise: a known state whatever the previous job left
    style = _Style(p)

    def line(text: str) -> None:
        text = printable(text)
        kanji = (cjk == "auto" and has_cjk(text)) or (cjk == "gb18030" and not text.isascii())
        if kanji:
            p._raw(FS_KANJI_ON + text.encode("gb18030", errors="replace") + FS_KANJI_OFF + b"\n")
        elif cjk == "raster" and has_cjk(text):
            _raster_line(p, text, width, style.align)
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


def _raster_line(p: Any, text: str, width: int, align: str) -> None:
    """One line drawn with a CJK font as a 1-bit image of the paper's width (GS v 0)."""
    from PIL import Image, ImageDraw, ImageFont

    from ..errors import DeviceConfigError
    from ..fonts import PREFERRED_PACKAGE, find_cjk_font

    font_path = find_cjk_font()
    if font_path is None:
        raise DeviceConfigError("printer.cjk = \"raster\" needs a CJK font: install "
                                f"{PREFERRED_PACKAGE}, or set printer.cjk = \"auto\"", device="printer")
    dots = width * DOTS_PER_COLUMN
    font = ImageFont.truetype(font_path, 22)
    image = Image.new("1", (dots, 24), 1)
    used = display_width(text) * DOTS_PER_COLUMN
    x = {"center": (dots - used) // 2, "right": dots - used}.get(align, 0)
    ImageDraw.Draw(image).text((max(x, 0), 0), text, font=font, fill=0)
    p.image(image, impl="bitImageRaster", center=False)
