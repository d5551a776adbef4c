"""Remote configuration: validated, staged, applied at the next start, rolled back if the
terminal cannot start with it. Also the till lock, which must survive a restart.

  stage     the console's changes are merged into the terminal's TOML and validated by the same
            model as any configuration (unknown keys, ranges); identity, keys, storage and the
            fleet link itself cannot be changed remotely. Written to fleet_staged.toml.
  apply     at the next start (a restart when idle, or the next boot): the current TOML is kept
            as <name>.fleet-previous, the staged one takes its place, fleet_config_trial.json
            marks the trial.
  confirm   the terminal was built with it: the trial marker goes, the audit says ok.
  rollback  building failed (a key path, a device, a port): the previous TOML is put back and the
            terminal starts with it; the audit and the next status say why.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import tomli_w

from ..config import DEFAULT_CONFIG, Config, parse_config
from ..errors import FaultError
from ..files import write_atomic

STAGED = "fleet_staged.toml"
TRIAL = "fleet_config_trial.json"
LAST_RESULT = "fleet_config_result.json"
LOCK = "fleet_lock.json"
LOCKED_KEYS = {"acquirer": None, "storage": None, "fleet": None, "sandbox": None, "terminal": {"serial_number"}}


def _merge(base: dict, changes: dict, path: str = "") -> dict:
    out = dict(base)
    for key, value in changes.items():
        where = f"{path}{key}"
        if not path and key in LOCKED_KEYS and LOCKED_KEYS[key] is None:
            raise ValueError(f"{where}: cannot be changed remotely (identity, keys, storage and the fleet link "
                             f"are set at provisioning)")
        if path and path.rstrip(".") in LOCKED_KEYS and key in (LOCKED_KEYS[path.rstrip('.')] or ()):
            raise ValueError(f"{where}: cannot be changed remotely")
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, where + ".")
        else:
            out[key] = value
    return out


def stage(config: Config, changes: dict, *, command_id: str) -> Path:
    source = config.source
    if source is None or Path(source).resolve() == DEFAULT_CONFIG.resolve():
        raise ValueError("this terminal runs the shipped profile: remote configuration needs its own TOML")
    current = tomllib.loads(Path(source).read_text(encoding="utf-8"))
    merged = _merge(current, changes)
    try:
        parse_config(merged, source=Path(source))
    except FaultError as exc:
        raise ValueError(exc.message) from None
    staged = config.state_dir() / STAGED
    body = tomli_w.dumps(merged).encode()
    write_atomic(staged, f"# staged by fleet command {command_id}\n".encode() + body)
    return staged


def apply_staged(config: Config) -> tuple[Config, dict | None]:
    """At start: put a staged configuration in place (returns the config to build and the trial)."""
    state_dir = config.state_dir()
    staged = state_dir / STAGED
    if not staged.exists() or config.source is None:
        return config, None
    source = Path(config.source)
    previous = source.with_name(source.name + ".fleet-previous")
    command = staged.read_text(encoding="utf-8").splitlines()[0].rsplit(" ", 1)[-1]
    write_atomic(previous, source.read_bytes(), mode=0o600)
    trial = {"command": command, "previous": str(previous), "config": str(source)}
    write_atomic(state_dir / TRIAL, json.dumps(trial).encode())
    write_atomic(source, staged.read_bytes(), mode=0o600)
    os.unlink(staged)
    try:
        return parse_config(tomllib.loads(source.read_text(encoding="utf-8")), source=source), trial
    except (FaultError, ValueError):
        return config, trial


def finish(config: Config, trial: dict, *, ok: bool, error: str = "") -> Config:
    """Confirm the trial, or roll back to the previous TOML; the result is kept for the agent."""
    state_dir = config.state_dir()
    if not ok:
        source = Path(trial["config"])
        write_atomic(source, Path(trial["previous"]).read_bytes(), mode=0o600)
        config = parse_config(tomllib.loads(source.read_text(encoding="utf-8")), source=source)
    result = {"command": trial["command"], "result": "applied" if ok else "rolled_back", "error": error[:500]}
    write_atomic(state_dir / LAST_RESULT, json.dumps(result).encode())
    (state_dir / TRIAL).unlink(missing_ok=True)
    return config


def build_with_rollback(config: Config, build):
    """The composition root with a staged fleet configuration applied (and undone on failure)."""
    from ..errors import TerminalError

    config, trial = apply_staged(config)
    if trial is None:
        return build(config)
    try:
        terminal = build(config)
        ok, error = True, ""
    except TerminalError as exc:
        ok, error = False, exc.message
        config = finish(config, trial, ok=False, error=error)
        terminal = build(config)
    else:
        finish(config, trial, ok=True)
    terminal.audit.record("fleet", "fleet.config_apply", result="ok" if ok else "failed",
                          command=trial["command"], outcome="applied" if ok else "rolled_back")
    return terminal


def save_lock(state_dir: Path, reason: str) -> None:
    write_atomic(Path(state_dir) / LOCK, json.dumps({"locked": reason}).encode())


def load_lock(state_dir: Path) -> str:
    try:
        return str(json.loads((Path(state_dir) / LOCK).read_text()).get("locked", ""))
    except (OSError, ValueError):
        return ""


def take_result(state_dir: Path) -> dict | None:
    path = Path(state_dir) / LAST_RESULT
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    path.unlink(missing_ok=True)
    return result
