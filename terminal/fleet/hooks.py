"""The one entry point `pos-terminal run` and `control` call when `[fleet]` is configured."""
from __future__ import annotations

import logging

from .agent import start_agent
from .staged_config import build_with_rollback

log = logging.getLogger("terminal.fleet")


class SystemdRestart:
    """`restart` for a service under systemd (Restart=on-failure): stop gracefully like SIGTERM,
    then exit with EXIT_CODE so systemd starts it again (a staged configuration then applies)."""

    EXIT_CODE = 75          # EX_TEMPFAIL

    def __init__(self):
        import threading

        self.requested = False
        self.serving = threading.Event()    # set by the host once it handles SIGTERM gracefully

    @staticmethod
    def available() -> bool:
        import os

        return bool(os.environ.get("INVOCATION_ID"))      # set by systemd for its services

    def restart(self) -> None:
        import os
        import signal

        self.requested = True
        # a restart queued while offline arrives right at start-up: wait until the service
        # serves (and so stops gracefully on SIGTERM) instead of being killed mid-recovery
        self.serving.wait(120)
        os.kill(os.getpid(), signal.SIGTERM)


def start_fleet(config, build_terminal, *, host=None, health_probes: dict | None = None):
    """(terminal, agent or None). The agent failing to start never stops the terminal."""
    def build(candidate):
        if candidate.control.enabled:       # a control address it cannot serve on is a failed start
            from ..control.server import check_bind

            check_bind(candidate)
        return build_terminal(candidate)

    terminal = build_with_rollback(config, build)
    try:
        agent = start_agent(terminal, host=host, health_probes=health_probes)
    except Exception:
        log.exception("fleet agent not started; the terminal runs without it")
        agent = None
    return terminal, agent
