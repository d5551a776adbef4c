"""Provisioning end to end against the sandbox acquirer, through the CLI."""
from __future__ import annotations

import json
import socket
import stat
import tomllib
from datetime import UTC

import pytest

from tests.support import admin, client_id_of, run_cli
from tests.technician.conftest import RAW_CODE, provision_args


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_provision_then_sale(sandbox, tmp_path, pin_files):
    state = tmp_path / "state"
    proc = run_cli(None, *provision_args(sandbox, state, pin_files))
    assert proc.returncode == 0, proc.stderr
    config = state / "terminal.toml"
    assert f"--config {config}" in proc.stdout
    for step in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):
        assert step in proc.stderr
    data = tomllib.loads(config.read_text())
    a = data["acquirer"]
    assert a["client_id"].startswith("SBX-C-") and a["terminal_id"].startswith("SBX-T-")
    assert a["key_version"] == 1 and a["encryption_kid"] == sandbox.encryption_kid
    for key in ("ca_bundle", "signing_public_key", "encryption_public_key"):
        assert a[key].startswith(str(state))
    assert data["merchant"]["name"] == "Sandbox Coffee"
    for secret in ("terminal_key.pem", "device_hmac.key", "control_token", "technician_pin.json",
                   "manager_pin.json"):
        assert _mode(state / secret) == 0o600, secret
    assert _mode(state) == 0o700
    from terminal.audit import AuditTrail
    from terminal.journal import Journal

    journal = Journal(state / "journal.sqlite")
    entry = AuditTrail(journal).entries(action="provision")[0]
    journal.close()
    assert entry["result"] == "ok" and entry["detail"]["terminalId"] == a["terminal_id"]
    sale = run_cli(config, "--json", "sale", "--amount", "1.00", "--code", RAW_CODE)
    assert sale.returncode == 0, sale.stderr
    assert json.loads(sale.stdout)["state"] == "APPROVED"


@pytest.mark.parametrize("point", ["provision_after_key", "provision_after_register_response",
                                   "provision_after_register", "provision_after_config"])
def test_interrupted_provisioning_resumes(sandbox, tmp_path, pin_files, point):
    state = tmp_path / "state"
    code = sandbox.create_activation_code()
    args = provision_args(sandbox, state, pin_files, code)
    killed = run_cli(None, *args, env={"POS_TERMINAL_CRASHPOINT": point})
    assert killed.returncode == -9, killed.stderr
    key_before = (state / "terminal_key.pem").read_bytes()
    again = run_cli(None, *args)
    assert again.returncode == 0, again.stderr
    assert (state / "terminal_key.pem").read_bytes() == key_before     # the same key, not a second identity
    if point != "provision_after_key":
        assert "resuming" in again.stderr
    codes = {c["activationCode"]: c for c in admin(sandbox, "GET", "/activation-codes")["activationCodes"]}
    client_id = client_id_of(state / "terminal.toml")
    assert codes[code]["used"] and codes[code]["clientId"] == client_id


def test_wrong_activation_code_then_right_one(sandbox, tmp_path, pin_files):
    state = tmp_path / "state"
    proc = run_cli(None, *provision_args(sandbox, state, pin_files, "ACT-WRONG-CODE"))
    assert proc.returncode == 2
    assert "activation code is wrong or already used" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (state / "terminal.toml").exists()
    ok = run_cli(None, *provision_args(sandbox, state, pin_files))
    assert ok.returncode == 0, ok.stderr
    assert "keeping the key generated earlier" in ok.stderr


def test_used_activation_code_on_another_device(sandbox, tmp_path, pin_files):
    code = sandbox.create_activation_code()
    assert run_cli(None, *provision_args(sandbox, tmp_path / "a", pin_files, code)).returncode == 0
    other = run_cli(None, *provision_args(sandbox, tmp_path / "b", pin_files, code))
    assert other.returncode == 2 and "already used" in other.stderr


def test_unreachable_acquirer(sandbox, tmp_path, pin_files):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = provision_args(sandbox, tmp_path / "state", pin_files)
    args[args.index("--acquirer") + 1] = f"https://127.0.0.1:{port}"
    proc = run_cli(None, *args)
    assert proc.returncode == 3
    assert f"cannot reach the acquirer at https://127.0.0.1:{port}" in proc.stderr
    assert "connection refused by 127.0.0.1" in proc.stderr and "acquirer service is down" in proc.stderr


def _other_ca(path):
    from datetime import datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other Root CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_tls_failure_names_certificate_and_expected_ca(sandbox, tmp_path, pin_files):
    args = provision_args(sandbox, tmp_path / "state", pin_files)
    args[args.index("--ca-bundle") + 1] = str(_other_ca(tmp_path / "other-ca.pem"))
    proc = run_cli(None, *args)
    assert proc.returncode == 3
    assert "TLS verification" in proc.stderr
    assert "CN=localhost" in proc.stderr and "CN=pos-terminal sandbox test CA" in proc.stderr  # presented
    assert "CN=Some Other Root CA" in proc.stderr                                              # expected


def test_clock_off_is_named(sandbox, tmp_path, pin_files):
    sandbox.set_faults(kind="clock_skew", seconds=900)
    proc = run_cli(None, *provision_args(sandbox, tmp_path / "state", pin_files))
    assert proc.returncode == 3
    assert "device clock is 900 s behind" in proc.stderr and "timedatectl" in proc.stderr


def test_acquirer_key_is_required_and_checked(sandbox, tmp_path, pin_files):
    args = provision_args(sandbox, tmp_path / "state", pin_files)
    i = args.index("--acquirer-key")
    missing = run_cli(None, *(args[:i] + args[i + 2:]))
    assert missing.returncode == 2 and "--acquirer-key PEM is required" in missing.stderr
    from terminal.signing import generate_private_key, public_key_pem

    wrong = tmp_path / "not-the-acquirer.pem"
    wrong.write_bytes(public_key_pem(generate_private_key()))
    args[i + 1] = str(wrong)
    proc = run_cli(None, *args)
    assert proc.returncode == 3 and "not signed by the acquirer key" in proc.stderr
    assert not (tmp_path / "state" / "terminal.toml").exists()


def test_pin_needed_without_a_terminal(sandbox, tmp_path, pin_files):
    args = provision_args(sandbox, tmp_path / "state", pin_files)
    i = args.index("--manager-pin-file")
    proc = run_cli(None, *(args[:i] + args[i + 2:]), input="")
    assert proc.returncode == 2 and "--manager-pin-file" in proc.stderr
    assert not (tmp_path / "state" / "terminal_key.pem").exists()    # refused before anything was made


def test_provision_and_diagnose_with_an_acquirer_that_reports_not_found_in_payment_result(sandbox, tmp_path,
                                                                                           pin_files):
    """Some acquirers answer an inquiry for an unknown id with result S, paymentStatus FAIL and
    paymentResult ORDER_NOT_EXIST. The probe that proves the keys must accept that form too."""
    sandbox.set_faults(kind="inquiry_fail_form")
    state = tmp_path / "state"
    proc = run_cli(None, *provision_args(sandbox, state, pin_files))
    assert proc.returncode == 0, proc.stderr
    assert "[5/5] verified" in proc.stderr
    diagnose = run_cli(state / "terminal.toml", "--json", "diagnose")
    checks = {c["name"]: c["status"] for c in json.loads(diagnose.stdout)["checks"]}
    assert checks["acquirer"] == "PASS", diagnose.stdout
