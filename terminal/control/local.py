"""A terminal with its control API in this process, for rig suites and benchmarks:

    with LocalTerminal(Path("config/rig.toml"), state_dir=tmp) as local:
        client = TerminalClient(local.url, local.token)

Like `pos-terminal control`, it resolves what an earlier run left open before it serves.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from ..config import CONFIG_DIR, STATE_DIR_ENV, load_config
from ..service import Terminal
from .server import ControlServer
from .wiring import Control, build_control

RIG_CONFIG = CONFIG_DIR / "rig.toml"   # a shipped profile (config/ in a checkout)


class LocalTerminal:
    def __init__(self, config_path: Path = RIG_CONFIG, *, state_dir: Path, event_log: Path | None = None):
        self.config_path, self.state_dir, self.event_log = Path(config_path), Path(state_dir), event_log
        self.url = self.token = ""
        self.terminal: Terminal | None = None
        self.control: Control | None = None
        self.server: ControlServer | None = None

    def start(self) -> Self:
        from ..wiring import build_terminal

        # This terminal's state directory whatever the environment says (the variable wins
        # over storage.state_dir); paths are resolved while building, then it is put back.
        saved = os.environ.get(STATE_DIR_ENV)
        os.environ[STATE_DIR_ENV] = str(self.state_dir)
        try:
            terminal = self.terminal = build_terminal(load_config(self.config_path))
        finally:
            if saved is None:
                os.environ.pop(STATE_DIR_ENV, None)
            else:
                os.environ[STATE_DIR_ENV] = saved
        try:
            terminal.recover()
            self.token = terminal.upkeep.control_token(create=True)
            control = self.control = build_control(terminal, token=self.token, event_log=self.event_log)
            terminal.start_background_resolution()
            server = self.server = ControlServer(control.app, host="127.0.0.1", port=0).start()
        except BaseException:
            self.stop()
            raise
        self.url = server.url
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.control is not None:
            self.control.close(terminal_closing=True)
        if self.terminal is not None:
            self.terminal.close()
        self.server = self.control = self.terminal = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
