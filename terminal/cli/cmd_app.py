"""`pos-terminal run`: the Kivy touchscreen app with the configured devices (and, from
`pos-terminal demo`, on the embedded sandbox with the customer-phone panel).

This is the app's composition root: configuration → Terminal (build_terminal) → Checkout →
scanner → PosApp. Kivy is imported only here, after its environment is set.
"""
from __future__ import annotations

import logging
import os

from ..errors import FaultError
from .context import config_of
from .output import say

log = logging.getLogger("terminal.cli.app")


def register(sub) -> None:
    p = sub.add_parser("run", help="the touchscreen app with the configured devices")
    p.add_argument("--language", choices=["en", "fr_CA", "zh_Hans"], help="start in this UI language")
    p.set_defaults(func=lambda args: run_app(args, demo=False))


def _scanner(config):
    from drivers.scanners import build_scanner

    s = config.scanner
    options = {"port": s.port, "baudrate": s.baudrate, "suffix": s.suffix, "camera": s.camera, "decoder": s.decoder}
    if s.kind == "keyboard":
        options["input"] = "auto"
    try:
        return build_scanner(kind=s.kind, **options), ""
    except Exception as exc:  # the till still opens; the banner says what to fix
        return None, str(exc)


def run_app(args, demo: bool) -> int:
    config = config_of(args)
    if demo and not config.acquirer.embedded:
        say('the demo needs acquirer.base_url = "embedded" (the demo profile)')
        return 2
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "fullscreen", "auto" if config.ui.fullscreen else "0")
    if not config.ui.fullscreen:
        KivyConfig.set("graphics", "width", "800")
        KivyConfig.set("graphics", "height", "480")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    if config.ui.fullscreen:  # a touchscreen with no keyboard: dock Kivy's keyboard for search
        KivyConfig.set("kivy", "keyboard_mode", "systemanddock")

    built = []

    def load_terminal():
        """On the app's worker, after the first frame: journal, keys, acquirer link, checkout."""
        from ..checkout import Checkout
        from ..wiring import build_terminal

        terminal = build_terminal(config)
        built.append(terminal)
        terminal.start_background_resolution()   # queued cancels/refunds keep retrying between sales
        return terminal, Checkout(terminal=terminal)

    scanner, scanner_problem = _scanner(config)
    from ui.app import PosApp

    app = PosApp(loader=load_terminal, config=config, scanner=scanner, demo=demo,
                 lang=getattr(args, "language", None))
    if scanner_problem:
        app.startup_problems.append(("scanner", scanner_problem))
    try:
        app.run()
    finally:
        for terminal in built:
            terminal.close()
    error = getattr(app, "load_error", None)
    if isinstance(error, FaultError):
        raise error
    return 3 if error is not None else 0
