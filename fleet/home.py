"""The console's directory (`pos-fleet --dir D`, default ./fleet-data or $POS_FLEET_DIR):

  D/broker/      Mosquitto configuration, TLS CA, password file, ACL, persistence (pos-fleet broker)
  D/fleet.sqlite the console's state
  D/operator_key.pem, operator_key.pub   the command-signing key
  D/bundles/     support bundles collected from terminals
  D/console.json where the console finds its broker when it is not the local one
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .broker import CONSOLE_USER, BrokerFiles

DIR_ENV = "POS_FLEET_DIR"


@dataclass
class FleetHome:
    root: Path

    @classmethod
    def at(cls, directory: str | None) -> FleetHome:
        root = Path(directory or os.environ.get(DIR_ENV) or "fleet-data").expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        return cls(root)

    @property
    def broker(self) -> BrokerFiles:
        return BrokerFiles(self.root / "broker")

    @property
    def db(self) -> Path:
        return self.root / "fleet.sqlite"

    @property
    def bundles(self) -> Path:
        return self.root / "bundles"

    def connection(self) -> dict:
        """{host, port, username, password, ca}: console.json if present, else the local broker."""
        path = self.root / "console.json"
        if path.exists():
            return json.loads(path.read_text())
        files = self.broker
        if not files.conf.exists():
            raise SystemExit(f"no broker configured in {self.root}: run `pos-fleet --dir {self.root} broker "
                             f"--port 8883` first (or write {path})")
        return {"host": "127.0.0.1", "port": files.port(), "username": CONSOLE_USER,
                "password": files.read_credentials()[CONSOLE_USER], "ca": str(files.ca)}
