"""A sandbox acquirer for the technician tests, and a provisioned terminal made through the same
code the `provision` command runs (in-process: fast), or through the CLI where that is the point."""
from __future__ import annotations

import pytest

from terminal.config import parse_config
from terminal.provisioning import Provisioner, ProvisionRequest

TECH_PIN, MANAGER_PIN = "1357", "2468"
FAST = {"connect_timeout_s": 2, "read_timeout_s": 1.5, "other_read_timeout_s": 1.5,
        "inquiry_interval_s": 0.05, "inquiry_window_s": 1.0, "cancel_retry_max_s": 0.2}
RAW_CODE = "281012345678900000"


@pytest.fixture(autouse=True)
def _no_faults(sandbox, monkeypatch):
    monkeypatch.delenv("POS_TERMINAL_STATE_DIR", raising=False)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    sandbox.reset_faults()
    yield
    sandbox.reset_faults()


@pytest.fixture
def pin_files(tmp_path):
    tech, manager = tmp_path / "tech.pin", tmp_path / "manager.pin"
    tech.write_text(TECH_PIN + "\n")
    manager.write_text(MANAGER_PIN + "\n")
    return tech, manager


def provision_args(sandbox, state_dir, pin_files, code=None, *extra):
    code = code or sandbox.create_activation_code()
    return ["provision", "--activation-code", code, "--acquirer", sandbox.base_url,
            "--ca-bundle", str(sandbox.ca_bundle_path), "--acquirer-key", str(sandbox.signing_public_key_path),
            "--state-dir", str(state_dir), "--serial-number", "SN-TEST-1",
            "--technician-pin-file", str(pin_files[0]), "--manager-pin-file", str(pin_files[1]), *extra]


def provision_in_process(sandbox, tmp_path, **base):
    """A provisioned terminal (fast schedule); returns the written config path."""
    state = tmp_path / "state"
    request = ProvisionRequest(
        activation_code=sandbox.create_activation_code(), base_url=sandbox.base_url,
        acquirer_key_pem=sandbox.signing_public_key_path.read_bytes(), state_dir=state,
        config_out=state / "terminal.toml", serial_number="SN-TEST-2",
        base_config=parse_config({"acquirer": FAST, "printer": {"kind": "file", "path": "receipts.txt"}, **base}),
        ca_bundle=sandbox.ca_bundle_path, pins={"technician": TECH_PIN, "manager": MANAGER_PIN})
    return Provisioner(request).run().config_path


@pytest.fixture
def provisioned(sandbox, tmp_path):
    return provision_in_process(sandbox, tmp_path)
