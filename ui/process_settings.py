"""Process settings of the touchscreen app, applied by `pos-terminal run` / `demo` before Kivy
loads; the headless harness (tests, benchmarks, screenshots) applies the same ones, so what
they measure is what a till runs. An operator can override either variable in
/etc/default/pos-terminal (the systemd unit's EnvironmentFile).

- ``KIVY_IMAGE=sdl2,tex,dds``: Kivy otherwise also loads its Pillow image provider (PIL with
  its bundled libtiff, openjpeg, xcb: about 2 MB resident), although everything the app shows
  is Kivy's own PNG theme atlas (SDL2_image reads it) or camera frames blitted into textures.
  Pillow stays installed: the receipt printer's raster CJK lines import it when they print.
- glibc malloc capped at 2 arenas: glibc gives each thread that allocates its own arena, up to
  8 per core; the app runs about ten threads (worker, event pump, link probe, resolution,
  owner channel, GL), and each arena keeps its own free space, which no other thread reuses
  (the demo profile's growth over sales was mostly free space in arenas: README "Memory").
  ``mallopt`` here, since glibc reads MALLOC_ARENA_MAX only when the process starts; an
  explicit MALLOC_ARENA_MAX in the environment wins. Not glibc (musl): nothing to do.
"""
from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("ui.process_settings")

KIVY_ENV = {"KIVY_IMAGE": "sdl2,tex,dds"}
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8      # glibc's malloc.h


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (before the app's threads start); False when not applied."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False               # the operator's setting, read by glibc at start
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False               # not glibc
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_ARENA_MAX, arenas))


def prepare_app_process() -> dict[str, str]:
    """Apply the app's process settings; returns what was set (for the log)."""
    applied = {}
    for key, value in KIVY_ENV.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    if cap_malloc_arenas():
        applied["malloc_arenas"] = str(MALLOC_ARENAS)
    return applied
