"""Plain-text rendering of a ReceiptDocument (file printer, virtual printer, tests, logs of
what was printed). Bold and sizes cannot be shown; layout and content are identical."""
from __future__ import annotations

from .document import (
    Columns,
    CopyMarker,
    Cut,
    Feed,
    QRBlock,
    ReceiptDocument,
    Separator,
    TextLine,
    align_line,
    column_lines,
    wrap,
)


def render_text(doc: ReceiptDocument, *, width: int | None = None) -> str:
    width = width or doc.width
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, TextLine):
            cols = width // 2 if block.size in ("wide", "double") else width  # as on paper
            out += [align_line(line, width, block.align) for line in wrap(block.text, cols)]
        elif isinstance(block, Columns):
            out += column_lines(block.label, block.value, width)
        elif isinstance(block, Separator):
            out.append((block.char or "-") * width)
        elif isinstance(block, QRBlock):
            out.append(align_line(f"[QR: {block.data}]", width, "center"))
            if block.caption:
                out.append(align_line(block.caption, width, "center"))
        elif isinstance(block, CopyMarker):
            out.append(align_line(f"*** {block.text} ***", width, "center"))
        elif isinstance(block, Feed):
            out += [""] * block.lines
        elif isinstance(block, Cut):
            out.append("")
            out.append("=" * width)  # where the paper would be cut
    return "\n".join(out) + "\n"
