"""`pos-terminal run` is registered, and `demo` reaches run_app when a display is present."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui


def test_run_subcommand_is_registered():
    from terminal.cli.main import build_parser

    args = build_parser().parse_args(["run", "--language", "fr_CA"])
    assert args.command == "run" and args.language == "fr_CA"


def test_demo_calls_run_app_with_demo_true(monkeypatch):
    from terminal.cli import cmd_app, cmd_demo
    from terminal.cli.main import main

    calls = []
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(cmd_app, "run_app", lambda args, demo: calls.append(demo) or 0)
    assert main(["demo"]) == 0 and calls == [True]
    assert cmd_demo.has_display()
