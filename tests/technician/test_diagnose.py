"""diagnose: PASS on a good setup; each check FAILs on a deliberately broken one, naming the fix."""
from __future__ import annotations

import json
import os

import pytest

from terminal.diagnostics import FAIL, PASS, SKIP, run_diagnostics
from tests.support import run_cli


def _by_name(report):
    return {c.name: c for c in report.checks}


def _with(config, section: str, **values):
    """Append overrides to a table of the written TOML (a later key would be a duplicate: rewrite)."""
    import tomllib

    import tomli_w

    data = tomllib.loads(config.read_text())
    data.setdefault(section, {}).update(values)
    config.write_text(tomli_w.dumps(data))
    return config


def test_good_setup_passes_cli_json(provisioned):
    proc = run_cli(provisioned, "--json", "diagnose")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    status = {c["name"]: c["status"] for c in report["checks"]}
    assert status.pop("time sync") in (PASS, "WARN", SKIP)     # the machine's own NTP state
    assert status == {"configuration": PASS, "identity": PASS, "keys": PASS, "journal": PASS, "storage": PASS,
                      "persistence": PASS, "acquirer": PASS,
                      "clock": PASS,
                      "scanner": PASS, "camera": SKIP, "printer": PASS}


def test_human_output_one_line_per_check(provisioned):
    proc = run_cli(provisioned, "diagnose")
    assert proc.returncode == 0
    assert [line.split()[1] for line in proc.stdout.splitlines()[:12]] == [
        "configuration", "identity", "keys", "journal", "storage", "persistence", "time", "acquirer", "clock",
        "scanner", "camera", "printer"]


def test_bad_configuration(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[acquirer]\nbase_url = "http://plain"\nklient_id = "x"\n')
    proc = run_cli(bad, "diagnose")
    assert proc.returncode == 3
    assert "FAIL  configuration" in proc.stdout and "acquirer.base_url" in proc.stdout
    assert "acquirer.klient_id" in proc.stdout


def test_key_mode(provisioned):
    key = provisioned.parent / "terminal_key.pem"
    key.chmod(0o644)
    check = _by_name(run_diagnostics(str(provisioned)))["keys"]
    assert check.status == FAIL and check.fix == f"chmod 600 {key}"


def test_missing_acquirer_key_file(provisioned):
    (provisioned.parent / "acquirer_encryption_key.pem").unlink()
    check = _by_name(run_diagnostics(str(provisioned)))["keys"]
    assert check.status == FAIL and "acquirer.encryption_public_key" in check.fix


def test_interrupted_rotation_is_named(provisioned):
    (provisioned.parent / "rotation.json").write_text('{"stage": "pending", "newKeyVersion": 2}')
    check = _by_name(run_diagnostics(str(provisioned), network=False))["key rotation"]
    assert check.status == FAIL and "rotate-key" in check.fix and "unconfirmed" in check.detail


def test_journal_corrupt(provisioned):
    (provisioned.parent / "journal.sqlite").write_bytes(b"this is not a database" * 100)
    check = _by_name(run_diagnostics(str(provisioned), network=False))["journal"]
    assert check.status == FAIL and "export-logs" in check.fix


def test_acquirer_unreachable(provisioned):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _with(provisioned, "acquirer", base_url=f"https://127.0.0.1:{port}")
    # as if provisioned against that address (a changed address alone fails the identity check)
    from terminal.config import load_config
    from terminal.identity import identity_of, stamp_state_dir

    stamp_state_dir(provisioned.parent, identity_of(load_config(provisioned)))
    checks = _by_name(run_diagnostics(str(provisioned)))
    assert checks["acquirer"].status == FAIL and "connection refused" in checks["acquirer"].detail
    assert "acquirer service is down" in checks["acquirer"].fix
    assert checks["clock"].status == SKIP


def test_acquirer_does_not_know_the_key(provisioned):
    from terminal.keystore import KeyStore
    from terminal.signing import generate_private_key

    KeyStore(state_dir=provisioned.parent).store_signing_key(generate_private_key())
    check = _by_name(run_diagnostics(str(provisioned)))["acquirer"]
    assert check.status == FAIL and "re-provision" in check.fix


def test_wrong_acquirer_signing_key(provisioned):
    from terminal.signing import generate_private_key, public_key_pem

    (provisioned.parent / "acquirer_signing_key.pem").write_bytes(public_key_pem(generate_private_key()))
    check = _by_name(run_diagnostics(str(provisioned)))["acquirer"]
    assert check.status == FAIL and "acquirer.signing_public_key" in check.fix


def test_clock_off(sandbox, provisioned):
    sandbox.set_faults(kind="clock_skew", seconds=-1200)
    checks = _by_name(run_diagnostics(str(provisioned)))
    assert checks["clock"].status == FAIL and "timedatectl" in checks["clock"].fix
    assert "1200 s" in checks["clock"].detail
    assert checks["acquirer"].status == FAIL      # INVALID_REQUEST_TIME: the same cause, named too


def test_scanner_not_found(provisioned):
    _with(provisioned, "scanner", kind="serial", port="/dev/nonexistent-scanner")
    check = _by_name(run_diagnostics(str(provisioned), network=False))["scanner"]
    assert check.status == FAIL and "scanner" in check.fix


def test_camera_not_found(provisioned, tmp_path):
    pytest.importorskip("cv2")
    _with(provisioned, "scanner", kind="camera", camera=str(tmp_path / "no-such-video.mp4"))
    check = _by_name(run_diagnostics(str(provisioned), network=False))["camera"]
    assert check.status == FAIL and "camera" in check.fix


def test_printer_offline(provisioned):
    _with(provisioned, "printer", kind="serial", path="/dev/nonexistent-printer")
    check = _by_name(run_diagnostics(str(provisioned), network=False))["printer"]
    assert check.status == FAIL and "cable" in check.fix


def test_demo_profile_passes(tmp_path):
    proc = run_cli(None, "diagnose", env={"POS_TERMINAL_STATE_DIR": str(tmp_path / "demo")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.stat(tmp_path / "demo").st_mode & 0o077 == 0
