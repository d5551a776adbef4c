"""A payment-agnostic receipt document: a list of blocks that any printer backend renders.

The core builds one (merchant, amounts, masked code...) out of these blocks; drivers only
lay them out. Widths are in characters of the printer's font A: 32 on 58 mm paper, 48 on
80 mm. East Asian wide characters count as two columns.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]
Size = Literal["normal", "tall", "wide", "double"]


@dataclass(frozen=True)
class TextLine:
    text: str
    align: Align = "left"
    bold: bool = False
    size: Size = "normal"


@dataclass(frozen=True)
class Columns:
    """A label on the left and a value on the right of the same line (wrapped if too long)."""

    label: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class Separator:
    char: str = "-"


@dataclass(frozen=True)
class QRBlock:
    """A QR code printed natively by the printer (e.g. the transaction reference)."""

    data: str
    size: int = 6  # module size in printer dots, 1..16
    caption: str = ""


@dataclass(frozen=True)
class CopyMarker:
    """Marks a reprint: printed large and bold so it cannot be missed."""

    text: str = "COPY"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = False


Block = TextLine | Columns | Separator | QRBlock | CopyMarker | Feed | Cut


@dataclass
class ReceiptDocument:
    """Blocks in print order; the builder methods return self so they chain."""

    blocks: list[Block] = field(default_factory=list)
    width: int = 32

    def text(self, text: str, *, align: Align = "left", bold: bool = False,
             size: Size = "normal") -> ReceiptDocument:
        self.blocks.append(TextLine(text, align, bold, size))
        return self

    def columns(self, label: str, value: str, *, bold: bool = False) -> ReceiptDocument:
        self.blocks.append(Columns(label, value, bold))
        return self

    def separator(self, char: str = "-") -> ReceiptDocument:
        self.blocks.append(Separator(char))
        return self

    def qr(self, data: str, *, size: int = 6, caption: str = "") -> ReceiptDocument:
        if not 1 <= size <= 16:
            raise ValueError("QR module size must be 1..16 dots")
        self.blocks.append(QRBlock(data, size, caption))
        return self

    def copy_marker(self, text: str = "COPY") -> ReceiptDocument:
        self.blocks.append(CopyMarker(text))
        return self

    def feed(self, lines: int = 1) -> ReceiptDocument:
        self.blocks.append(Feed(lines))
        return self

    def cut(self, *, partial: bool = False) -> ReceiptDocument:
        self.blocks.append(Cut(partial))
        return self


# --------------------------------------------------------------------------- layout helpers

def display_width(text: str) -> int:
    """Columns ``text`` occupies on a printer or terminal (CJK full-width counts 2)."""
    if text.isascii():     # most receipt text: one column a character, without a lookup each
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` columns, at spaces when possible."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in _tokens(para):
            candidate = line + word
            if display_width(candidate) <= width:
                line = candidate
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = word.lstrip()
            while display_width(line) > width:  # a single overlong word
                cut = _fit(line, width)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        if ch == " " and cur and not cur.endswith(" "):
            out.append(cur)
            cur = ch
        elif display_width(ch) == 2:  # CJK text breaks between any two characters
            if cur:
                out.append(cur)
            out.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def _fit(text: str, width: int) -> int:
    n, used = 0, 0
    for ch in text:
        w = display_width(ch)
        if used + w > width:
            break
        used += w
        n += 1
    return max(n, 1)


def align_line(text: str, width: int, align: Align) -> str:
    pad = max(0, width - display_width(text))
    if align == "center":
        return " " * (pad // 2) + text
    if align == "right":
        return " " * pad + text
    return text


def column_lines(label: str, value: str, width: int) -> list[str]:
    """``label ....... value`` on one line, or the label then the value right-aligned."""
    gap = width - display_width(label) - display_width(value)
    if gap >= 1:
        return [label + " " * gap + value]
    lines = wrap(label, width)
    lines += [align_line(v, width, "right") for v in wrap(value, width)]
    return lines
