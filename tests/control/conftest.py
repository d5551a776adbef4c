from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from terminal.control import ControlServer, build_control
from terminal.control.auth import FailureLimiter
from terminal.control.client import TerminalClient
from terminal.demo_codes import code_for
from tests.support import build, write_terminal_config

__all__ = ["code_for"]


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    sandbox.reset_faults()
    yield
    sandbox.reset_faults()


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Served:
    """A terminal against the session sandbox, its control API on 127.0.0.1:<any port>."""

    config_path: Path
    terminal: object
    control: object
    server: ControlServer
    token: str
    clock: ManualClock

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str | None = None) -> TerminalClient:
        return TerminalClient(self.url, token or self.token)

    def headers(self, token: str | None = None) -> dict:
        return {"Authorization": f"Bearer {token or self.token}"}


_ports = itertools.count()


def serve_terminal(config_path: Path, *, max_failures: int = 5, **control_options) -> Served:
    terminal = build(config_path)
    terminal.recover()
    token = terminal.upkeep.control_token(create=True)
    clock = ManualClock()
    control = build_control(terminal, token=token, limiter=FailureLimiter(clock=clock, max_failures=max_failures),
                            heartbeat_s=control_options.pop("heartbeat_s", 0.5), **control_options)
    server = ControlServer(control.app, host="127.0.0.1", port=0).start()
    return Served(config_path, terminal, control, server, token, clock)


def stop_served(served: Served) -> None:
    served.server.stop()
    served.control.close(terminal_closing=True)
    served.terminal.close()


@pytest.fixture
def config_path(tmp_path, sandbox):
    return write_terminal_config(tmp_path, sandbox, control={"enabled": True})


@pytest.fixture
def served(config_path):
    s = serve_terminal(config_path)
    yield s
    stop_served(s)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, sandbox):
    """One server for a module's tests that change nothing (refused requests); wrong tokens
    are not limited here (the limit has its own test)."""
    path = write_terminal_config(tmp_path_factory.mktemp("shared"), sandbox, control={"enabled": True})
    s = serve_terminal(path, max_failures=10**6)
    yield s
    stop_served(s)


@pytest.fixture
def client(served):
    with served.client() as c:
        yield c
