"""`pos-terminal control`: the local control API without the touchscreen app (rig profile)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FaultError
from .context import config_of, open_terminal
from .output import say

if TYPE_CHECKING:
    from ..control.server import ControlServer


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("control", help="serve the local control API without the UI (rig profile)")
    p.add_argument("--port", type=int, help="override control.port (0: any free port, printed at start)")
    p.add_argument("--show-token", action="store_true", help="print the control token (else only where it is)")
    p.add_argument("--event-log", help="also write every event as a JSON line (no timestamps) to this file")
    p.set_defaults(func=cmd_control)


def cmd_control(args: argparse.Namespace) -> int:
    from ..control.server import check_bind, serve

    config = config_of(args)
    if not config.control.enabled:
        raise FaultError(f"control.enabled is false in {config.source or 'the configuration'}: set it to true "
                         "(config/rig.toml does) to serve the control API", code="CONFIG")
    if args.port is not None:
        config = config.model_copy(update={"control": config.control.model_copy(update={"port": args.port})})
    check_bind(config)                      # refuse a bad address before anything starts
    logging.getLogger("terminal.events").setLevel(logging.INFO)   # the structured event log, always

    def ready(server: ControlServer, token_path: str) -> None:
        if host is not None:
            host.serving.set()
        say(f"control API on {server.url} (token in {token_path}); stop with Ctrl-C")
        if args.show_token:
            say(f"token: {Path(token_path).read_text().strip()}")
        if args.json:
            sys.stdout.write(json.dumps({"url": server.url, "tokenFile": token_path}) + "\n")
            sys.stdout.flush()

    from ..fleet.hooks import SystemdRestart
    from .handoff import serve_owner_channel

    host = SystemdRestart() if SystemdRestart.available() else None   # fleet `restart`: exit 75, systemd restarts
    with open_terminal(args, fleet=True, host=host) as terminal:   # recovery at start: what a crash left open is resolved first
        if terminal.settings.control != config.control and args.port is None:
            # a fleet configuration applied at this start
            config = config.model_copy(update={"control": terminal.settings.control})
        channel = serve_owner_channel(terminal)     # CLI money commands hand their operations to us
        try:
            serve(config, terminal=terminal, event_log=Path(args.event_log) if args.event_log else None,
                  on_ready=ready)
        finally:
            channel.stop()
    if host is not None and host.requested:
        say("control API stopped for a restart requested by the fleet")
        return SystemdRestart.EXIT_CODE
    say("control API stopped")
    return 0
