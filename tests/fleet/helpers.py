"""A terminal (sandbox acquirer) with the fleet agent on, and a console, against a real broker."""
from __future__ import annotations

import time
from pathlib import Path

from fleet.bus import Console
from fleet.keys import operator_key, public_pem
from fleet.store import Store
from terminal.config import load_config
from tests.fleet.conftest import enrol_by_hand
from tests.support import write_terminal_config


def fleet_terminal_config(tmp: Path, sandbox, broker, terminal_id: str, **sections) -> Path:
    key = operator_key(broker.home.root)
    fleet = {"broker": broker.url, "ca_bundle": str(broker.files.ca), "heartbeat_s": 1, **sections.pop("fleet", {})}
    path = write_terminal_config(tmp, sandbox, fleet=fleet, **sections)
    enrol_by_hand(broker, tmp / "state", terminal_id, public_pem(key))
    return path


def start_terminal(config_path: Path):
    from terminal.fleet.hooks import start_fleet
    from terminal.wiring import build_terminal

    return start_fleet(load_config(config_path), build_terminal)


def console_for(broker) -> Console:
    return Console(broker.home, Store(broker.home.db)).start()


def wait_for(predicate, timeout_s: float = 15, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
