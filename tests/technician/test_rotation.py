"""Key rotation: the next sale is signed with the new key; interruptions are recoverable."""
from __future__ import annotations

import json
import tomllib

from terminal.demo_codes import code_for
from tests.support import admin, client_id_of, run_cli


def _client(sandbox, config):
    client_id = client_id_of(config)
    return next(c for c in admin(sandbox, "GET", "/clients")["clients"] if c["clientId"] == client_id)


def _current_version(sandbox, config) -> int:
    return next(k["keyVersion"] for k in _client(sandbox, config)["keys"] if k["current"])


def _sale(config):
    # A fresh code each sale: the terminal refuses a code it was just paid with.
    proc = run_cli(config, "--json", "sale", "--amount", "1.00", "--code", code_for("0000"), "--no-receipt")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_rotation_then_sale_with_new_key(sandbox, provisioned):
    state = provisioned.parent
    old_key = (state / "terminal_key.pem").read_bytes()
    comment = "# a technician's note survives the rewrite\n"
    provisioned.write_text(provisioned.read_text() + comment)
    proc = run_cli(provisioned, "rotate-key")
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads(provisioned.read_text())["acquirer"]["key_version"] == 2
    assert comment in provisioned.read_text()
    assert (state / "terminal_key.pem").read_bytes() != old_key
    assert not (state / "terminal_key.next.pem").exists() and not (state / "rotation.json").exists()
    assert _current_version(sandbox, provisioned) == 2
    # Only the new key can have signed this: the sandbox verifies keyVersion 2 with the new public key.
    assert _sale(provisioned)["state"] == "APPROVED"
    assert run_cli(provisioned, "rotate-key").returncode == 0
    assert tomllib.loads(provisioned.read_text())["acquirer"]["key_version"] == 3


def test_crash_after_acquirer_confirmed_is_finished_at_next_start(sandbox, provisioned):
    proc = run_cli(provisioned, "rotate-key", env={"POS_TERMINAL_CRASHPOINT": "rotate_after_confirmed"})
    assert proc.returncode == -9
    assert tomllib.loads(provisioned.read_text())["acquirer"]["key_version"] == 1   # not yet rewritten
    assert _sale(provisioned)["state"] == "APPROVED"          # the start finished the rotation locally
    assert tomllib.loads(provisioned.read_text())["acquirer"]["key_version"] == 2
    assert not (provisioned.parent / "terminal_key.next.pem").exists()


def test_crash_before_the_request_resumes_with_the_same_key(sandbox, provisioned):
    state = provisioned.parent
    proc = run_cli(provisioned, "rotate-key", env={"POS_TERMINAL_CRASHPOINT": "rotate_after_next_key"})
    assert proc.returncode == -9
    pending_key = (state / "terminal_key.next.pem").read_bytes()
    assert _sale(provisioned)["state"] == "APPROVED"          # the old key still signs meanwhile
    again = run_cli(provisioned, "rotate-key")
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stderr
    assert (state / "terminal_key.pem").read_bytes() == pending_key
    assert _current_version(sandbox, provisioned) == 2


def test_unconfirmed_rotation_keeps_the_old_key(sandbox, provisioned):
    state = provisioned.parent
    old_key = (state / "terminal_key.pem").read_bytes()
    sandbox.set_faults(kind="drop_after", path="/v1/terminals/rotateKey", count=1)   # accepted, answer lost
    proc = run_cli(provisioned, "rotate-key")
    assert proc.returncode == 4, proc.stderr
    assert "not confirmed" in proc.stderr and "rotate-key" in proc.stderr
    assert (state / "terminal_key.pem").read_bytes() == old_key
    assert (state / "terminal_key.next.pem").exists()
    # The acquirer took the new key; the old one is still accepted (previous version, 24 h).
    assert _sale(provisioned)["state"] == "APPROVED"
    again = run_cli(provisioned, "rotate-key")
    assert again.returncode == 0, again.stderr
    assert tomllib.loads(provisioned.read_text())["acquirer"]["key_version"] == 2
    assert _sale(provisioned)["state"] == "APPROVED"


def test_demo_profile_has_nothing_to_rotate(tmp_path):
    proc = run_cli(None, "rotate-key", env={"POS_TERMINAL_STATE_DIR": str(tmp_path)})
    assert proc.returncode == 2
