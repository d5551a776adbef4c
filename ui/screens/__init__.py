"""One module + one .kv per screen; ``load_screen`` loads the layout then builds the controller."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.lang import Builder

if TYPE_CHECKING:
    from ..app import PosApp
    from .base import PosScreen

HERE = Path(__file__).resolve().parent
_loaded: set[str] = set()


def load_screen(name: str, *, app: PosApp) -> PosScreen:
    module = importlib.import_module(f"{__package__}.{name}")
    if name not in _loaded:
        Builder.load_file(str(HERE / f"{name}.kv"))
        _loaded.add(name)
    return module.SCREEN(name=name, app=app)
