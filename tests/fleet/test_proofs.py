"""Proofs against a real broker: queued commands reach a terminal that was offline (persistent
session, QoS 1, even across a broker restart); a broker outage never blocks a sale; zero-touch
enrolment end to end (pre-registered serial, and an unknown serial approved by a technician)."""
from __future__ import annotations

import socket
import threading

import pytest

from fleet.enrolment import Enroller, registration
from terminal.demo_codes import code_for
from tests.fleet.conftest import Broker
from tests.fleet.helpers import (
    console_for,
    fleet_terminal_config,
    start_terminal,
    wait_for,
)


@pytest.fixture
def own_broker(tmp_path):
    b = Broker(tmp_path / "fleet-home").start()
    yield b
    b.stop()


def test_an_offline_terminal_gets_its_queued_commands_when_it_returns(tmp_path, sandbox, own_broker):
    tid = "T-offline-1"
    config = fleet_terminal_config(tmp_path, sandbox, own_broker, tid)
    terminal, agent = start_terminal(config)
    wait_for(lambda: agent.connected, what="first connection (the broker learns the session)")
    agent.stop()
    terminal.close()
    console = console_for(own_broker)
    try:
        sent = [console.send(tid, "lock", {"reason": "queued while offline"})["cmd"]["id"],
                console.send(tid, "ping")["cmd"]["id"]]
        assert all(console.store.command(c)["state"] == "sent" for c in sent)
    finally:
        console.stop()
    own_broker.stop()                       # the queue must survive a broker restart (persistence)
    own_broker.start()
    console = console_for(own_broker)
    terminal, agent = start_terminal(config)
    try:
        rows = console.wait_acks(sent, 20)
        assert [rows[c]["result"] for c in sent] == ["ok", "ok"], rows
        assert terminal.locked == "queued while offline"
    finally:
        console.stop()
        agent.stop()
        terminal.close()


class Blackhole:
    """Accepts TCP connections and never answers: a broker that hangs mid-handshake."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            self.connected.set()

    def close(self):
        for c in self.accepted:
            c.close()
        self.sock.close()


def test_a_broker_outage_never_blocks_a_sale(tmp_path, sandbox, own_broker):
    # 1) the broker hangs (accepts, never answers): the agent is stuck in its handshake
    hole = Blackhole()
    config = fleet_terminal_config(tmp_path / "a", sandbox, own_broker, "T-outage-a",
                                   fleet={"broker": f"mqtts://127.0.0.1:{hole.port}"})
    terminal, agent = start_terminal(config)
    try:
        assert hole.connected.wait(10), "the agent never tried the broker"
        for suffix in ("0000", "0051", "0000"):
            terminal.sale(terminal.parse_amount("3.00"), code_for(suffix))
        assert not agent.connected                    # the sales completed while the agent hung
        assert agent.tap.snapshot() == {"APPROVED": 2, "DECLINED": 1}
    finally:
        agent.stop()
        terminal.close()
        hole.close()
    # 2) the broker dies mid-session (kill -9): sales go on; the counts reach the fleet afterwards
    config = fleet_terminal_config(tmp_path / "b", sandbox, own_broker, "T-outage-b")
    terminal, agent = start_terminal(config)
    try:
        wait_for(lambda: agent.connected, what="agent connected")
        own_broker.proc.kill()
        own_broker.proc.wait()
        own_broker.proc = None
        wait_for(lambda: not agent.connected, what="agent notices the outage")
        assert terminal.sale(terminal.parse_amount("4.00"), code_for("0000")).state.value == "APPROVED"
        own_broker.files.pid.unlink(missing_ok=True)
        own_broker.start()
        console = console_for(own_broker)
        try:
            wait_for(lambda: ((console.store.terminal("T-outage-b") or {}).get("status") or {})
                     .get("counts", {}).get("APPROVED") == 1, timeout_s=45, what="counts after the outage")
        finally:
            console.stop()
    finally:
        agent.stop()
        terminal.close()


def test_zero_touch_enrolment_end_to_end(tmp_path, sandbox, own_broker):
    from fleet.cli import main as fleet_main
    from terminal.config import load_config
    from terminal.fleet.enrol import enrol

    home = own_broker.home
    golden = tmp_path / "golden"
    assert fleet_main(["--dir", str(home.root), "enrol", "golden", "--out", str(golden),
                       "--broker", own_broker.url]) == 0
    (golden / "golden.toml").write_text((golden / "fleet.toml").read_text() + """
[terminal]
serial_number = "unset"
[printer]
kind = "none"
""")
    store_console = console_for(own_broker)
    store_console.enrolment = Enroller(home, store_console.store)     # what `pos-fleet serve` runs
    reg = registration(activation_code=sandbox.create_activation_code(), acquirer=sandbox.base_url,
                       acquirer_key_pem=sandbox.signing_public_key_path.read_text(),
                       acquirer_ca_pem=sandbox.ca_bundle_path.read_text(),
                       template={"ui": {"idle_lock_s": 33}}, pins={"manager": "2468", "technician": "1357"})
    store_console.store.register_serial("SN-KNOWN-1", reg, group="north")
    results = {}

    def device(serial: str, state: str):
        golden_config = load_config(golden / "golden.toml").model_copy()
        import os
        os.environ.pop("POS_TERMINAL_STATE_DIR", None)
        cfg = golden_config.model_copy(update={"storage": golden_config.storage.model_copy(
            update={"state_dir": str(tmp_path / state)})})
        try:
            results[serial] = enrol(cfg, serial=serial, timeout_s=60, progress=lambda m: None)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[serial] = exc

    try:
        known = threading.Thread(target=device, args=("SN-KNOWN-1", "dev1"))
        unknown = threading.Thread(target=device, args=("SN-NEW-2", "dev2"))
        known.start()
        unknown.start()
        wait_for(lambda: (store_console.store.enrolment("SN-NEW-2") or {}).get("state") == "waiting",
                 what="the unknown serial listed for approval")
        assert [r["serial"] for r in store_console.store.enrolments("waiting")] == ["SN-NEW-2"]
        known.join(60)
        assert isinstance(results.get("SN-KNOWN-1"), dict), results
        # the technician approves the waiting serial: it is answered at once
        reg2 = registration(activation_code=sandbox.create_activation_code(), acquirer=sandbox.base_url,
                            acquirer_key_pem=sandbox.signing_public_key_path.read_text(),
                            acquirer_ca_pem=sandbox.ca_bundle_path.read_text(),
                            pins={"manager": "2468", "technician": "1357"})
        store_console.store.register_serial("SN-NEW-2", reg2, group="south")
        Enroller(home, store_console.store).issue("SN-NEW-2", store_console).wait_for_publish(10)
        unknown.join(60)
        assert isinstance(results.get("SN-NEW-2"), dict), results
        wait_for(lambda: {r["serial"]: r["state"] for r in store_console.store.enrolments()}
                 == {"SN-KNOWN-1": "enrolled", "SN-NEW-2": "enrolled"}, what="both reported enrolled")
        # the enrolled device starts with its own credentials, shows up online, takes a sale
        outcome = results["SN-KNOWN-1"]
        terminal, agent = start_terminal(outcome["configPath"])
        try:
            assert terminal.settings.ui.idle_lock_s == 33               # the template applied
            row = wait_for(lambda: (store_console.store.terminal("T-SN-KNOWN-1") or {}).get("online")
                           and store_console.store.terminal("T-SN-KNOWN-1"), what="enrolled terminal online")
            assert row["grp"] == "north" and row["serial"] == "SN-KNOWN-1"
            assert terminal.sale(terminal.parse_amount("2.00"), code_for("0000")).state.value == "APPROVED"
        finally:
            agent.stop()
            terminal.close()
    finally:
        store_console.stop()
