"""pytest plugin for rig suites: a `terminal` fixture that is a TerminalClient.

Enable it in a suite's conftest.py (`pytest_plugins = ["terminal.control.pytest_plugin"]` in
a root conftest, or `from terminal.control.pytest_plugin import *` in a nested one). Then:

    def test_approval(terminal, code_for):
        tx = terminal.sale("12.50")
        terminal.scan(code_for("0000"))
        assert terminal.wait(tx).state == "APPROVED"

By default the terminal runs in the test process from config/rig.toml (embedded sandbox,
virtual scanner) in a fresh state directory. Point the suite at a terminal on a rig instead
with `--terminal-url URL --terminal-token-file FILE [--terminal-ca PEM]` (or the environment
variables TERMINAL_URL, TERMINAL_TOKEN_FILE, TERMINAL_CA).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..demo_codes import code_for as _code_for
from .client import ControlApiError, TerminalClient
from .local import RIG_CONFIG, LocalTerminal


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("terminal", "pos-terminal rig (control API)")
    group.addoption("--terminal-url", default=None, help="control API of a running terminal (else one is started)")
    group.addoption("--terminal-token-file", default=None, help="file holding that terminal's control token")
    group.addoption("--terminal-ca", default=None, help="PEM of the CA for a TLS control API")
    group.addoption("--terminal-config", default=None, help=f"profile of the local terminal (default {RIG_CONFIG})")
    group.addoption("--terminal-event-log", default=None, help="local terminal: write the diffable event log here")


def _option(config: pytest.Config, name: str, env: str) -> str | None:
    try:
        value = config.getoption(name)
    except ValueError:          # the plugin was loaded too late to register its options
        value = None
    return value or os.environ.get(env) or None


@pytest.fixture(scope="session")
def terminal_endpoint(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, bool | str]]:
    """(url, token, verify) of the terminal under test, started here unless --terminal-url."""
    url = _option(request.config, "terminal_url", "TERMINAL_URL")
    if url:
        token_file = _option(request.config, "terminal_token_file", "TERMINAL_TOKEN_FILE")
        if not token_file:
            pytest.exit("--terminal-url needs --terminal-token-file (the terminal's state dir/control_token)", 2)
        ca = _option(request.config, "terminal_ca", "TERMINAL_CA")
        yield url, Path(token_file).read_text().strip(), ca or True
        return
    config = _option(request.config, "terminal_config", "TERMINAL_CONFIG") or RIG_CONFIG
    event_log = _option(request.config, "terminal_event_log", "TERMINAL_EVENT_LOG")
    with LocalTerminal(Path(config), state_dir=tmp_path_factory.mktemp("terminal-state"),
                       event_log=Path(event_log) if event_log else None) as local:
        yield local.url, local.token, True


@pytest.fixture
def terminal(terminal_endpoint: tuple[str, str, bool | str]) -> Iterator[TerminalClient]:
    """A client of the terminal under test, idle, with the sandbox's fault switches off."""
    url, token, verify = terminal_endpoint
    client = TerminalClient(url, token, verify=verify)
    _tidy(client)
    yield client
    _tidy(client)
    client.close()


def _tidy(client: TerminalClient) -> None:
    status = client.status()
    if status.state == "AWAITING_SCAN" and status.transactionId:
        try:
            client.cancel(status.transactionId)
        except ControlApiError:
            pass
    elif status.state == "PROCESSING" and status.transactionId:
        client.wait(status.transactionId, timeout=120)
    if status.get("sandbox") is not None:
        client.reset_sandbox_faults()


@pytest.fixture
def code_for() -> Callable[..., str]:
    """code_for("0051"): a well-formed wallet code the sandbox answers by its last four digits."""
    return _code_for


__all__ = ["code_for", "pytest_addoption", "terminal", "terminal_endpoint"]
