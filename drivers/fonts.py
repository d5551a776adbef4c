"""Finding a CJK-capable system font (for the touchscreen and for raster-printed receipts).

WenQuanYi Micro Hei (Debian: fonts-wqy-microhei) covers Latin and CJK in one face, and is the
font the till is measured with. Noto Sans CJK is a fallback only: Kivy opens one face per font
size and style, and FreeType holds 2.2 MB of Noto's CFF tables per face against 0.3 MB for
WenQuanYi (the idle till opens 15: 219.5 against 185.6 MB, keypad ready 0.87 against 0.71 s in
bench/ui_startup.py), so the installers install PREFERRED_PACKAGE.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PREFERRED_PACKAGE = "fonts-wqy-microhei"     # provides KNOWN_PATHS[0]
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
                                 text=True, timeout=5, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and Path(out).is_file() and "dejavu" not in out.lower():
            return out
    return None
