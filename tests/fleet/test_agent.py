"""The terminal agent against a real Mosquitto: retained status with a last will, signed
commands acknowledged and audited, forged / expired / replayed / misaddressed ones refused and
reported, the till lock, staged configuration with rollback, log collection in chunks."""
from __future__ import annotations

import json
import tarfile
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from terminal.demo_codes import code_for
from terminal.errors import BusinessError
from terminal.fleet.protocol import now_utc, sign_command
from tests.fleet.helpers import (
    console_for,
    fleet_terminal_config,
    start_terminal,
    wait_for,
)


@pytest.fixture
def fleet_pair(tmp_path, sandbox, broker):
    tid = f"T-{tmp_path.name[-12:].replace('_', '-')}"
    config = fleet_terminal_config(tmp_path, sandbox, broker, tid)
    terminal, agent = start_terminal(config)
    console = console_for(broker)
    yield tid, terminal, agent, console, config
    console.stop()
    if agent is not None:
        agent.stop()
    terminal.close()


def test_status_is_retained_and_the_last_will_says_offline(fleet_pair, broker):
    tid, terminal, agent, console, _ = fleet_pair
    row = wait_for(lambda: (console.store.terminal(tid) or {}).get("online") and console.store.terminal(tid),
                   what="status")
    status = row["status"]
    assert status["terminalId"] == tid and status["keyVersion"] == 1 and status["rotation"] == "idle"
    assert status["pendingPayments"] == 0 and status["cancelQueue"] == 0 and status["locked"] == ""
    assert status["health"] == {"printer": "ok", "journal": "ok"} and status["version"]
    # a sale: the counts move, but nothing about the payment (no code, no amount) leaves the terminal
    code = code_for("0000")
    terminal.sale(terminal.parse_amount("12.34"), code)
    agent.publish_status()
    row = wait_for(lambda: console.store.terminal(tid)["status"]["counts"].get("APPROVED") == 1
                   and console.store.terminal(tid), what="counts")
    text = json.dumps(row["status"])
    assert code not in text and code[-8:] not in text and "1234" not in text
    # the connection dies without a goodbye: the broker publishes the retained last will
    agent.client._sock.close()
    agent.client.loop_stop()
    wait_for(lambda: not console.store.terminal(tid)["online"], what="last will")


def test_signed_commands_are_acknowledged_and_audited(fleet_pair):
    tid, terminal, agent, console, _ = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    sent = console.send(tid, "ping", operator="alice")["cmd"]["id"]
    row = console.wait_acks([sent], 15)[sent]
    assert row["state"] == "acked" and row["result"] == "ok" and row["detail"] == {"pong": True}
    entry = terminal.audit.entries(action="fleet.ping")[0]
    assert entry["actor"] == "fleet:alice" and entry["result"] == "ok" and entry["detail"]["command"] == sent
    # what this host cannot do is said plainly, never faked
    restart = console.send(tid, "restart")["cmd"]["id"]
    update = console.send(tid, "update", {"wheel": "/nonexistent/pos_terminal-9.9.9-py3-none-any.whl"})["cmd"]["id"]
    # a version whose bundle is not on the device: `pos-terminal update --version` runs and says so
    missing = console.send(tid, "update", {"version": "9.9.9"})["cmd"]["id"]
    acks = console.wait_acks([restart, update, missing], 60)
    assert acks[restart]["result"] == "unsupported" and acks[restart]["detail"]["reason"] == "NO_SUPERVISOR"
    assert acks[update]["result"] == "refused" and acks[update]["detail"]["reason"] == "BAD_ARGS"
    assert acks[missing]["result"] == "failed" and acks[missing]["detail"]["exitCode"] != 0
    assert "9.9.9" in acks[missing]["detail"]["output"]
    # factory reset needs the one-time code the terminal answers with
    first = console.send(tid, "factory_reset", {"confirmation": "000000"})["cmd"]["id"]
    ack = console.wait_acks([first], 15)[first]
    assert ack["result"] == "confirm" and len(ack["detail"]["confirmation"]) == 6
    assert (terminal.settings.state_dir / "journal.sqlite").exists()


def test_forged_expired_replayed_and_misaddressed_commands_are_refused(fleet_pair):
    tid, terminal, agent, console, _ = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    forger = Ed25519PrivateKey.generate()
    cases = {
        "BAD_SIGNATURE": sign_command(forger, command_id="forged1", terminal_id=tid, op="unlock", args={},
                                      operator="mallory"),
        "EXPIRED": sign_command(console.key, command_id="old1", terminal_id=tid, op="ping", args={}, operator="x",
                                lifetime_s=60, issued_at=now_utc() - timedelta(hours=2)),
        "WRONG_TERMINAL": sign_command(console.key, command_id="other1", terminal_id="T-someone-else", op="ping",
                                       args={}, operator="x"),
    }
    for envelope in cases.values():
        console.publish_raw(tid, json.dumps(envelope).encode())
    # a genuine command, then the same bytes again: the second is a replay
    genuine = console.send(tid, "lock", {"reason": "audit"}, operator="alice")
    console.wait_acks([genuine["cmd"]["id"]], 15)
    console.publish_raw(tid, json.dumps(genuine).encode())
    wanted = {"BAD_SIGNATURE", "EXPIRED", "WRONG_TERMINAL", "REPLAYED"}
    wait_for(lambda: wanted <= {e["body"].get("reason") for e in console.store.events(tid)
                                if e["body"].get("kind") == "command_refused"}, what="refusals reported")
    refused = terminal.audit.entries(action="fleet.refused")
    assert wanted <= {e["detail"]["reason"] for e in refused}
    assert any(e["actor"] == "fleet:unverified" for e in refused)
    # the forged unlock did nothing; the lock executed exactly once
    assert terminal.locked == "audit"
    assert len(terminal.audit.entries(action="fleet.lock")) == 1


def test_lock_refuses_sales_until_unlocked(fleet_pair):
    tid, terminal, agent, console, _ = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    cid = console.send(tid, "lock", {"reason": "inventory"})["cmd"]["id"]
    assert console.wait_acks([cid], 15)[cid]["result"] == "ok"
    with pytest.raises(BusinessError) as err:
        terminal.sale(terminal.parse_amount("1.00"), code_for("0000"))
    assert err.value.code == "LOCKED"
    wait_for(lambda: console.store.terminal(tid)["status"].get("locked") == "inventory", what="locked status")
    cid = console.send(tid, "unlock")["cmd"]["id"]
    assert console.wait_acks([cid], 15)[cid]["result"] == "ok"
    assert terminal.sale(terminal.parse_amount("1.00"), code_for("0000")).state.value == "APPROVED"


def test_collect_logs_arrives_in_chunks_and_intact(fleet_pair):
    tid, _terminal, agent, console, _ = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    cid = console.send(tid, "collect_logs")["cmd"]["id"]
    row = console.wait_acks([cid], 60)[cid]
    assert row["result"] == "ok", row
    path = wait_for(lambda: console.bundles.get(cid), what="bundle reassembled")
    with tarfile.open(path) as tar:
        assert set(row["detail"]["files"]) == set(tar.getnames())


def test_set_config_is_staged_applied_at_restart_and_rolled_back_if_it_cannot_start(fleet_pair, broker):
    import tomllib

    tid, terminal, agent, console, config_path = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    bad = console.send(tid, "set_config", {"changes": {"printer": {"kind": "laser"}}})["cmd"]["id"]
    identity = console.send(tid, "set_config", {"changes": {"acquirer": {"terminal_id": "X"}}})["cmd"]["id"]
    good = console.send(tid, "set_config", {"changes": {"ui": {"idle_lock_s": 77}}})["cmd"]["id"]
    acks = console.wait_acks([bad, identity, good], 15)
    assert acks[bad]["result"] == "refused" and "printer.kind" in acks[bad]["detail"]["message"]
    assert acks[identity]["result"] == "refused"
    assert acks[good]["result"] == "ok"
    assert tomllib.loads(config_path.read_text()).get("ui", {}).get("idle_lock_s") != 77     # staged, not applied
    agent.stop()
    terminal.close()
    terminal, agent = start_terminal(config_path)              # the restart applies it
    try:
        assert terminal.settings.ui.idle_lock_s == 77
        assert terminal.audit.entries(action="fleet.config_apply")[0]["result"] == "ok"
        # valid TOML the terminal cannot start with (control on a public address without TLS)
        wait_for(lambda: agent.connected, what="agent connected")
        cid = console.send(tid, "set_config", {"changes": {"control": {"enabled": True, "host": "0.0.0.0"}}})
        assert console.wait_acks([cid["cmd"]["id"]], 15)[cid["cmd"]["id"]]["result"] == "ok"
        agent.stop()
        terminal.close()
        terminal, agent = start_terminal(config_path)
        assert terminal.settings.control.enabled is False and terminal.settings.ui.idle_lock_s == 77
        assert terminal.audit.entries(action="fleet.config_apply")[0]["result"] == "failed"
        wait_for(lambda: any(e["body"].get("result") == "rolled_back" for e in console.store.events(tid)),
                 what="rollback reported")
    finally:
        agent.stop()
        terminal.close()


def test_rotate_key_from_the_fleet_switches_the_live_key(fleet_pair):
    tid, terminal, agent, console, _ = fleet_pair
    wait_for(lambda: agent.connected, what="agent connected")
    cid = console.send(tid, "rotate_key", operator="alice")["cmd"]["id"]
    row = console.wait_acks([cid], 30)[cid]
    assert row["result"] == "ok" and row["detail"] == {"oldKeyVersion": 1, "keyVersion": 2}, row
    wait_for(lambda: console.store.terminal(tid)["key_version"] == 2, what="key version 2 in the status")
    # the next sale is signed with the new key, and the acquirer accepts it
    assert terminal.sale(terminal.parse_amount("5.00"), code_for("0000")).state.value == "APPROVED"
    actions = {e["action"]: e for e in terminal.audit.entries()}
    assert actions["fleet.rotate_key"]["result"] == "ok"
