"""`pos-fleet` as a technician runs it: broker config, command with --wait, terminals --json."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from tests.fleet.conftest import free_port
from tests.fleet.helpers import (
    console_for,
    fleet_terminal_config,
    start_terminal,
    wait_for,
)


def pos_fleet(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from fleet.cli import entry; entry()", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_broker_write_only_produces_a_complete_config(tmp_path):
    port = free_port()
    run = pos_fleet("--dir", str(tmp_path), "--json", "broker", "--port", str(port), "--write-only")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    conf = (tmp_path / "broker" / "mosquitto.conf").read_text()
    assert f"listener {port} 127.0.0.1" in conf and "allow_anonymous false" in conf and "persistence true" in conf
    assert out["ca"].endswith("ca.pem") and (tmp_path / "broker" / "acl").exists()
    # the secrets are not world-readable
    assert (tmp_path / "broker" / "credentials.json").stat().st_mode & 0o077 == 0


def test_command_and_terminals_from_the_cli(tmp_path, sandbox, broker):
    tid = "T-cli-1"
    config = fleet_terminal_config(tmp_path, sandbox, broker, tid)
    feeder = console_for(broker)                   # what `pos-fleet serve` does: keep the store current
    terminal, agent = start_terminal(config)
    try:
        wait_for(lambda: (feeder.store.terminal(tid) or {}).get("online"), what="online")
        home = str(broker.home.root)
        run = pos_fleet("--dir", home, "--json", "command", tid, "lock", "--arg", "reason=cli test", "--wait", "20")
        assert run.returncode == 0, run.stdout + run.stderr
        (row,) = json.loads(run.stdout)
        assert row["result"] == "ok" and row["detail"] == {"locked": "cli test"}
        assert terminal.locked == "cli test"
        run = pos_fleet("--dir", home, "--json", "terminals", "--online")
        assert tid in [t["id"] for t in json.loads(run.stdout)]
        # a refused command exits 1; an unknown terminal never acks: exit 4, the command stays queued
        run = pos_fleet("--dir", home, "--json", "command", tid, "set_config", "--args-json",
                        '{"changes": {"acquirer": {"client_id": "X"}}}', "--wait", "20")
        assert run.returncode == 1 and json.loads(run.stdout)[0]["result"] == "refused"
        run = pos_fleet("--dir", home, "command", "T-nobody", "ping", "--wait", "1")
        assert run.returncode == 4
    finally:
        feeder.stop()
        agent.stop()
        terminal.close()


def test_restart_under_systemd_acks_then_exits_for_systemd_to_restart(tmp_path, sandbox, broker):
    """`pos-terminal control` under systemd (INVOCATION_ID set): set_config and restart are
    acknowledged, then the service stops gracefully (when idle) and exits 75, which
    Restart=on-failure restarts; the staged configuration applies at that start."""
    from tests.support import popen_cli

    tid = "T-restart-1"
    config = fleet_terminal_config(tmp_path, sandbox, broker, tid, control={"enabled": True, "port": 0})
    console = console_for(broker)
    proc = popen_cli(config, "control", env={"INVOCATION_ID": "test-unit"})
    try:
        wait_for(lambda: (console.store.terminal(tid) or {}).get("online"), timeout_s=60, what="control online")
        # a configuration change: acknowledged, then a restart when idle (exit 75 for systemd)
        cid = console.send(tid, "set_config", {"changes": {"ui": {"idle_lock_s": 44}}})["cmd"]["id"]
        row = console.wait_acks([cid], 20)[cid]
        assert row["result"] == "ok" and row["detail"]["restartWhenIdle"] is True, row
        assert proc.wait(timeout=30) == 75, proc.stderr.read()[-2000:]
        # systemd starts it again: the staged configuration is applied and reported
        proc = popen_cli(config, "control", env={"INVOCATION_ID": "test-unit"})
        wait_for(lambda: any(e["body"].get("result") == "applied" for e in console.store.events(tid)),
                 timeout_s=60, what="config applied at the restart")
        assert tomllib.loads(config.read_text())["ui"]["idle_lock_s"] == 44
        # a plain restart: acknowledged first, then a graceful stop with exit 75
        cid = console.send(tid, "restart")["cmd"]["id"]
        assert console.wait_acks([cid], 20)[cid]["result"] == "ok"
        assert proc.wait(timeout=30) == 75, proc.stderr.read()[-2000:]
        wait_for(lambda: not console.store.terminal(tid)["online"], what="offline after the restart")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        console.stop()
