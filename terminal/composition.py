"""Where the composition root reaches outside terminal/: the sandbox acquirer and the Kivy app.

The core never depends on `sandbox/` (an independent oracle) or on `ui/` (a front end above
it). Start-up still has to reach them: the demo profile runs the sandbox in-process, the
`sandbox` command serves it, and `run`/`demo` open the touchscreen app. Those imports live
here and nowhere else in terminal/, so `grep -rn "sandbox\\|ui\\." terminal/composition.py`
lists every one of them, and tests/core/test_composition.py keeps it that way. Each import
is lazy: a command that needs none of them never loads FastAPI, uvicorn or Kivy.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.embedded import EmbeddedSandbox
    from ui.app import PosApp


def embedded_sandbox(*, state_dir: Path, slow_response_s: float) -> EmbeddedSandbox:
    """The sandbox acquirer in this process (demo and rig profiles), not yet started."""
    from sandbox.embedded import EmbeddedSandbox

    return EmbeddedSandbox(state_dir=state_dir, slow_response_s=slow_response_s)


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """`pos-terminal sandbox`'s options, owned by the sandbox's standalone server."""
    from sandbox.standalone import add_arguments

    add_arguments(parser)


def serve_sandbox(args: argparse.Namespace, *, as_json: bool) -> int:
    from sandbox.standalone import serve

    return serve(args, as_json=as_json)


def touchscreen_app_class() -> type[PosApp]:
    """The Kivy app class; Kivy's environment must be set before this is called."""
    from ui.app import PosApp

    return PosApp


def prepare_app_process() -> dict[str, str]:
    """The touchscreen app's process settings (ui/process_settings.py), before Kivy loads."""
    from ui.process_settings import prepare_app_process as prepare

    return prepare()
