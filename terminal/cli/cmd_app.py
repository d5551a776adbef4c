"""`pos-terminal run`: the Kivy touchscreen app with the configured devices (and, from
`pos-terminal demo`, on the embedded sandbox with the customer-phone panel).

This is the app's composition root: configuration → Terminal (build_terminal) → Checkout →
scanner → PosApp. Kivy is imported only here, after its environment is set.
"""
from __future__ import annotations

import argparse
import logging
import os

from ..errors import FaultError
from .context import config_of
from .output import say

log = logging.getLogger("terminal.cli.app")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="the touchscreen app with the configured devices")
    p.add_argument("--language", choices=["en", "fr_CA", "zh_Hans"], help="start in this UI language")
    p.set_defaults(func=lambda args: run_app(args, demo=False))


def _scanner(config):
    from drivers.scanners import build_scanner

    s = config.scanner
    options = s.driver_options()
    if s.kind == "keyboard":
        options["input"] = "auto"
    try:
        return build_scanner(kind=s.kind, **options), ""
    except Exception as exc:  # the till still opens; the banner says what to fix  # noqa: BLE001
        return None, str(exc)


class AppServices:
    """What the app's loader builds on the worker (journal, keys, acquirer link, checkout and,
    with control.enabled, the control API driving the same checkout), and how it is stopped."""

    def __init__(self, config, scanner=None):
        self.config = config
        self.scanner = scanner
        self.terminals: list = []
        self.stops: list = []
        self.control_url = ""

    def load(self):
        from ..checkout import Checkout
        from ..wiring import build_terminal

        if self.config.fleet.enabled:      # staged fleet config applied (or rolled back) + the agent
            from ..fleet.hooks import start_fleet

            terminal, agent = start_fleet(self.config, build_terminal, health_probes=self._probes())
            if agent is not None:
                self.stops.append(agent.stop)
        else:
            terminal = build_terminal(self.config)
        self.terminals.append(terminal)
        terminal.start_background_resolution()   # queued cancels/refunds keep retrying between sales
        terminal.upkeep.start_link_probe()       # the light probe behind the till's link indicator
        from .handoff import serve_owner_channel

        channel = serve_owner_channel(terminal)  # CLI money commands hand their operations to the app
        self.stops.append(channel.stop)
        checkout = Checkout(terminal=terminal)
        if self.config.control.enabled:
            stop, self.control_url = _start_control(self.config, terminal, checkout)
            self.stops.append(stop)
        return terminal, checkout

    def _probes(self) -> dict:
        scanner = self.scanner
        if scanner is None:
            return {"scanner": lambda: "FAULT: not built (see the app's banner)"}

        def probe() -> str:
            h = scanner.health()
            return h.state.value + (f": {h.message}" if h.message else "")
        return {"scanner": probe}

    def close(self) -> None:
        for stop in self.stops:
            stop()
        for terminal in self.terminals:
            terminal.close()


def _start_control(config, terminal, checkout):
    """The control API inside the app: same checkout, the app owns the scanner and receipts."""
    from ..control.server import ControlServer, check_bind
    from ..control.wiring import build_control

    cert, key = check_bind(config)
    control = build_control(terminal, token=terminal.upkeep.control_token(create=True), checkout=checkout,
                            wire_scanner=False, print_receipts=False)
    server = ControlServer(control.app, host=config.control.host, port=config.control.port,
                           tls_cert=cert, tls_key=key).start()
    log.info("control API listening", extra={"url": server.url})

    def stop() -> None:
        control.close(terminal_closing=True)
        server.stop()

    return stop, server.url


def run_app(args: argparse.Namespace, demo: bool) -> int:
    config = config_of(args)
    if demo and not config.acquirer.embedded:
        say('the demo needs acquirer.base_url = "embedded" (the demo profile)')
        return 2
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from ..composition import prepare_app_process

    log.debug("app process settings", extra={"applied": prepare_app_process()})
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "fullscreen", "auto" if config.ui.fullscreen else "0")
    if not config.ui.fullscreen:
        KivyConfig.set("graphics", "width", "800")
        KivyConfig.set("graphics", "height", "480")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    if config.ui.fullscreen:  # a touchscreen with no keyboard: dock Kivy's keyboard for search
        KivyConfig.set("kivy", "keyboard_mode", "systemanddock")

    if config.control.enabled:
        from ..control.server import check_bind

        check_bind(config)                       # a bad control address fails before the window opens
    scanner, scanner_problem = _scanner(config)
    services = AppServices(config, scanner=scanner)
    from ..composition import touchscreen_app_class

    PosApp = touchscreen_app_class()
    app = PosApp(loader=services.load, config=config, scanner=scanner, demo=demo,
                 lang=getattr(args, "language", None))
    if scanner_problem:
        app.startup_problems.append(("scanner", scanner_problem))
    try:
        app.run()
    finally:
        services.close()
    error = getattr(app, "load_error", None)
    if isinstance(error, FaultError):
        raise error
    return 3 if error is not None else 0
