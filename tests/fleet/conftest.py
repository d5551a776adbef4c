"""A real Mosquitto per test module, configured by `pos-fleet broker`'s own code on a free
loopback port (the system service, if any, is never used)."""
from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from fleet.broker import (
    CONSOLE_USER,
    add_terminal_credentials,
    reload_broker,
    start_broker,
    write_broker_config,
)

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists(),
                                reason="mosquitto not installed (bootstrap.sh installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, root: Path):
        from fleet.home import FleetHome

        self.home = FleetHome(root)
        self.files = write_broker_config(root / "broker", port=free_port())
        self.port = self.files.port()
        self.proc = None

    def start(self):
        self.proc = start_broker(self.files)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.port}"

    def add_terminal(self, terminal_id: str) -> str:
        """New credentials, and wait (bounded) until the reloaded broker accepts them: SIGHUP is
        asynchronous, and a TLS handshake in flight during the reload may be reset."""
        import time

        from tests.fleet.mqttc import Probe

        password = add_terminal_credentials(self.files, terminal_id)
        assert reload_broker(self.files)
        deadline = time.monotonic() + 60      # a loaded CI machine reloads slowly
        while True:
            try:
                probe = Probe(self, terminal_id, password, client_id=f"reload-check-{terminal_id}")
                accepted = probe.wait_connected()
                probe.close()
                if accepted:
                    return password
            except OSError:
                pass
            assert time.monotonic() < deadline, "the broker did not accept the new credentials after SIGHUP"
            time.sleep(0.05)

    def console_password(self) -> str:
        return self.files.read_credentials()[CONSOLE_USER]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("broker")).start()
    yield b
    b.stop()


def enrol_by_hand(broker: Broker, state_dir: Path, terminal_id: str, operator_pub: bytes) -> None:
    """What zero-touch enrolment leaves in a terminal's state dir (tested on its own)."""
    password = broker.add_terminal(terminal_id)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "fleet_credentials.json").write_text(json.dumps({"username": terminal_id, "password": password}))
    (state_dir / "fleet_operator.pub").write_bytes(operator_pub)
