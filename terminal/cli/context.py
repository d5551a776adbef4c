"""Opening the terminal for a command: configuration, composition root, recovery at start."""
from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .output import say

if TYPE_CHECKING:  # the payment stack is imported by the command that needs it, not by --help
    from ..config import Config
    from ..journal import Journal
    from ..service import Terminal


def config_of(args: argparse.Namespace) -> Config:
    from ..config import load_config

    return load_config(getattr(args, "config", None))


@contextlib.contextmanager
def open_terminal(args: argparse.Namespace, *, recover: bool = True, fleet: bool = False, host=None) -> Iterator[Terminal]:
    """`fleet=True` for long-running services (control): a staged fleet configuration is applied
    (rolled back if the terminal cannot start with it) and the fleet agent runs alongside.
    The terminal is this process's own: it takes the owner lock (exit 3 naming the holder when
    another process has the state directory)."""
    from ..wiring import build_terminal

    config = config_of(args)
    if fleet and config.fleet.enabled:
        from ..fleet.hooks import start_fleet

        terminal, agent = start_fleet(config, build_terminal, host=host)
    else:
        terminal, agent = build_terminal(config), None
    try:
        if recover:
            recover_pending(terminal)
        yield terminal
    finally:
        if agent is not None:
            agent.stop()
        terminal.close()


@contextlib.contextmanager
def open_journal(args: argparse.Namespace) -> Iterator[Journal]:
    """The journal alone, for commands that only read it (`transactions`): no keys, no
    acquirer client, no embedded sandbox, so listing stays quick on a slow device."""
    from ..journal import Journal
    from ..locations import journal_path

    journal = Journal(journal_path(getattr(args, "config", None)))
    try:
        yield journal
    finally:
        journal.close()


def recover_pending(terminal: Terminal) -> None:
    """Every start resolves what a crash or power cut left open, saying what it does."""
    from .handoff import recover_with_progress

    recover_with_progress(terminal, say)
