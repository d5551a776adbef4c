"""The one entry point `pos-terminal run` and `control` call when `[fleet]` is configured."""
from __future__ import annotations

import logging

from .agent import start_agent
from .staged_config import build_with_rollback

log = logging.getLogger("terminal.fleet")


def start_fleet(config, build_terminal, *, host=None):
    """(terminal, agent or None). The agent failing to start never stops the terminal."""
    def build(candidate):
        if candidate.control.enabled:       # a control address it cannot serve on is a failed start
            from ..control.server import check_bind

            check_bind(candidate)
        return build_terminal(candidate)

    terminal = build_with_rollback(config, build)
    try:
        agent = start_agent(terminal, host=host)
    except Exception:
        log.exception("fleet agent not started; the terminal runs without it")
        agent = None
    return terminal, agent
