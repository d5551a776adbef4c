"""A CJK-capable default font, so Chinese (and the 中文 language button) render as text.

WenQuanYi Micro Hei (Debian: fonts-wqy-microhei) covers Latin and CJK in one face; it becomes
Kivy's default font. Without it Kivy's Roboto stays, with a logged warning (Chinese would show
as boxes).

Memory: Kivy opens one SDL_ttf face per font size and style it renders (bold is a style), and
FreeType, reading through SDL's file stream, loads the font's tables (character map, glyph
index, metrics) into each: 0.3 MB a face for this font against 0.09 MB for Roboto. The idle
till opens 15 (4.5 MB; bench/ui_startup.py counts them), so a new font size in a .kv file costs
0.3 MB, twice if it is also used bold.
"""
from __future__ import annotations

import logging

from drivers.fonts import PREFERRED_PACKAGE, find_cjk_font

log = logging.getLogger("ui.fonts")


def register_default_font() -> str | None:
    """Make the CJK font Kivy's default; returns its path, or None (warning logged)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font()
    if path is None:
        log.warning("no CJK font found (install %s): Chinese text will show as boxes", PREFERRED_PACKAGE)
        return None
    LabelBase.register(DEFAULT_FONT, path)
    return path
