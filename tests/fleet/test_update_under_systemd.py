"""A fleet update under systemd runs outside the service it is about to stop."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.fleet.commands import CommandExecutor, Outcome


def executor(tmp_path: Path) -> CommandExecutor:
    ex = CommandExecutor.__new__(CommandExecutor)       # only op_update is exercised
    ex.terminal = SimpleNamespace(settings=SimpleNamespace(config_source=tmp_path / "terminal.toml"))
    return ex


def test_update_under_systemd_is_started_as_its_own_transient_unit(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "systemd-run.json"
    fake = bindir / "systemd-run"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")   # what systemd sets for its services
    with pytest.raises(Outcome) as out:
        executor(tmp_path).op_update({"version": "0.2.0"}, {"id": "c42", "op": "update"})
    assert out.value.result == "started"
    assert out.value.detail["unit"] == "pos-terminal-update-c42"
    args = record.read_text().splitlines()
    assert args[:3] == ["--unit=pos-terminal-update-c42", "--collect", "--no-block"]
    assert args[-3:] == ["update", "--version", "0.2.0"]
    assert json.dumps(out.value.detail)     # acknowledged as JSON


def test_a_failing_systemd_run_is_reported_failed(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "systemd-run"
    fake.write_text("#!/bin/sh\necho 'Failed to start transient service unit' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("INVOCATION_ID", "x")
    with pytest.raises(Outcome) as out:
        executor(tmp_path).op_update({"version": "0.2.0"}, {"id": "c43", "op": "update"})
    assert out.value.result == "failed" and "transient" in out.value.detail["output"]
