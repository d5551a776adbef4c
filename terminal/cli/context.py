"""Opening the terminal for a command: configuration, composition root, recovery at start."""
from __future__ import annotations

import contextlib
from typing import Iterator

from ..config import Config, load_config
from ..service import Terminal
from .output import say


def config_of(args) -> Config:
    return load_config(getattr(args, "config", None))


@contextlib.contextmanager
def open_terminal(args, *, recover: bool = True) -> Iterator[Terminal]:
    from ..wiring import build_terminal

    terminal = build_terminal(config_of(args))
    try:
        if recover:
            recover_pending(terminal)
        yield terminal
    finally:
        terminal.close()


def recover_pending(terminal: Terminal) -> None:
    """Every start resolves what a crash or power cut left open, saying what it does."""
    pending = terminal.journal.pending()
    refunds = terminal.journal.pending_refunds()
    if not pending and not refunds:
        return
    say(f"recovering: {len(pending)} unresolved payment(s), {len(refunds)} unconfirmed refund(s)")

    def on_item(phase: str, item) -> None:
        state = getattr(getattr(item, "state", ""), "value", getattr(item, "state", ""))
        say(f"  {phase} {item.id}: {state}")

    terminal.recover(on_item=on_item)
