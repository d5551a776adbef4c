"""A CJK-capable default font, so Chinese (and the 中文 language button) render as text.

WenQuanYi Micro Hei (Debian: fonts-wqy-microhei) covers Latin and CJK in one face; it becomes
Kivy's default font. Without it Kivy's Roboto stays, with a logged warning (Chinese would show
as boxes).
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("ui.fonts")

KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def find_cjk_font() -> str | None:
    for path in KNOWN_PATHS:
        if Path(path).is_file():
            return path
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                                 text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and Path(out).is_file() and "dejavu" not in out.lower():
            return out
    return None


def register_default_font() -> str | None:
    """Make the CJK font Kivy's default; returns its path, or None (warning logged)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font()
    if path is None:
        log.warning("no CJK font found (install fonts-wqy-microhei): Chinese text will show as boxes")
        return None
    LabelBase.register(DEFAULT_FONT, path)
    return path
