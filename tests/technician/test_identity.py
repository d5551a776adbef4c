"""The identity of a state directory (issue #10, observed failure 2): a production state
directory used without --config fell back to the demo profile and its embedded sandbox, which
settled a captured payment as CANCELLED, journalled a fake approval and passed `diagnose`."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import tomli_w

from terminal.config import DEFAULT_CONFIG
from terminal.demo_codes import code_for
from terminal.identity import read_stamp
from tests.support import (
    acquirer_payment,
    assert_consistent,
    cli_json,
    run_cli,
    write_terminal_config,
)
from tests.technician.conftest import provision_in_process


def _env(state: Path, **extra) -> dict:
    return {"POS_TERMINAL_STATE_DIR": str(state), **extra}


def _interrupted_sale(config: Path) -> dict:
    """A sale killed right after the acquirer captured it: the journal still has it open."""
    proc = run_cli(config, "--json", "sale", "--amount", "8.40", "--code", code_for("0000"),
                   env={"POS_TERMINAL_CRASHPOINT": "after_pay_response"})
    assert proc.returncode == -9, proc.stderr
    _rc, listing = cli_json(config, "transactions")
    (tx,) = listing["transactions"]
    assert tx["state"] == "CREATED"
    return tx


def _journal_dump(state: Path) -> list:
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return [list(db.execute(f"SELECT * FROM {table} ORDER BY rowid")) for table in
                ("transactions", "events", "batches", "refunds")]
    finally:
        db.close()


def test_provisioning_stamps_the_journal(sandbox, tmp_path):
    config = provision_in_process(sandbox, tmp_path)
    data = tomllib.loads(config.read_text())["acquirer"]
    stamp = read_stamp(tmp_path / "state")
    assert (stamp.base_url, stamp.client_id, stamp.terminal_id, stamp.key_version) == (
        data["base_url"], data["client_id"], data["terminal_id"], data["key_version"])
    assert stamp.config_path == str(config) and stamp.machine


def test_production_state_dir_without_config_uses_its_own(sandbox, tmp_path):
    config = provision_in_process(sandbox, tmp_path)
    state = tmp_path / "state"
    tx = _interrupted_sale(config)
    assert acquirer_payment(sandbox, tx["paymentRequestId"])["status"] == "SUCCESS"
    # recover, no --config: the provisioned configuration, not the demo's embedded sandbox.
    recover = run_cli(None, "--json", "recover", env=_env(state))
    assert recover.returncode == 0, recover.stderr
    _rc, listing = cli_json(config, "transactions")
    assert [t["state"] for t in listing["transactions"]] == ["APPROVED"]
    assert_consistent(sandbox, listing["transactions"])
    assert not (state / "sandbox").exists(), "the embedded sandbox opened a production state directory"
    # sale, no --config: the real acquirer and merchant.
    sale = run_cli(None, "--json", "sale", "--amount", "2.00", "--code", code_for("0000"), env=_env(state))
    assert sale.returncode == 0, sale.stderr
    assert acquirer_payment(sandbox, json.loads(sale.stdout)["paymentRequestId"])["status"] == "SUCCESS"
    assert "Demo Coffee" not in (state / "receipts.txt").read_text()
    # diagnose, no --config: checks the provisioned configuration and reports the stamp.
    diagnose = run_cli(None, "--json", "diagnose", env=_env(state))
    checks = {c["name"]: c for c in json.loads(diagnose.stdout)["checks"]}
    assert str(config) in checks["configuration"]["detail"]
    assert checks["identity"]["status"] == "PASS" and "bound to this device" in checks["identity"]["detail"]


def test_a_config_of_another_acquirer_identity_is_refused(sandbox, tmp_path):
    config = provision_in_process(sandbox, tmp_path)
    state = tmp_path / "state"
    tx = _interrupted_sale(config)
    # The demo profile (embedded sandbox) on the production state directory.
    demo = run_cli(DEFAULT_CONFIG, "recover", env=_env(state))
    assert demo.returncode == 3 and f"--config {config}" in demo.stderr, demo.stderr
    assert not (state / "sandbox").exists()
    # A configuration naming another client id.
    other = tmp_path / "other.toml"
    data = tomllib.loads(config.read_text())
    data["acquirer"]["client_id"] = "C-SOMEONE-ELSE"
    other.write_text(tomli_w.dumps(data))
    wrong = run_cli(other, "sale", "--amount", "1.00", "--code", code_for("0000"))
    assert wrong.returncode == 3 and f"--config {config}" in wrong.stderr, wrong.stderr
    diagnose = run_cli(other, "--json", "diagnose")
    checks = {c["name"]: c for c in json.loads(diagnose.stdout)["checks"]}
    assert diagnose.returncode == 3 and checks["identity"]["status"] == "FAIL"
    _rc, listing = cli_json(config, "transactions")
    assert [t["state"] for t in listing["transactions"]] == [tx["state"]]     # nothing was touched


def test_a_cloned_state_dir_is_refused_until_reprovisioned(sandbox, tmp_path):
    first = tmp_path / "device-a"
    config = write_terminal_config(first, sandbox)
    here = {"POS_TERMINAL_MACHINE_ID": "machine-a"}
    rc, _sale = cli_json(config, "sale", "--amount", "3.30", "--code", code_for("0000"), env=here)
    assert rc == 0
    pending = run_cli(config, "sale", "--amount", "1.10", "--code", code_for("0000"),
                      env={**here, "POS_TERMINAL_CRASHPOINT": "after_intent"})
    assert pending.returncode == -9
    batch_before = _journal_dump(first / "state")
    # The SD card in another device: every command that would send is refused, nothing moves.
    elsewhere = {"POS_TERMINAL_MACHINE_ID": "machine-b"}
    for args in (["recover"], ["sale", "--amount", "1.00", "--code", code_for("0000")], ["close-batch"]):
        proc = run_cli(config, *args, env=elsewhere)
        assert proc.returncode == 3 and "another device" in proc.stderr, proc.stderr
    assert _journal_dump(first / "state") == batch_before
    rc, listing = cli_json(config, "transactions", env=elsewhere)   # reading stays possible
    assert rc == 0 and sorted(t["state"] for t in listing["transactions"]) == ["APPROVED", "CREATED"]
    # Back on its own device it resolves and closes as usual.
    assert run_cli(config, "recover", env=here).returncode == 0
