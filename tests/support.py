"""Shared test scaffolding: a terminal configured against a sandbox acquirer on loopback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import tomli_w

from terminal.config import load_config
from terminal.keystore import KeyStore
from terminal.signing import public_key_pem

FAST_SCHEDULE = {
    "connect_timeout_s": 2, "read_timeout_s": 1.5, "other_read_timeout_s": 1.5,
    "inquiry_interval_s": 0.05, "inquiry_window_s": 1.0, "cancel_retry_max_s": 0.2,
}


def write_terminal_config(tmp: Path, sandbox, *, acquirer: dict | None = None, **sections) -> Path:
    """A production-shaped config for a new terminal registered with `sandbox`; returns its path.

    The terminal's key is generated into tmp/state; the sandbox learns its public key.
    """
    state = tmp / "state"
    state.mkdir(parents=True, exist_ok=True)
    key = KeyStore(state_dir=state).signing_key(create=True)
    client_id = f"C-{uuid.uuid4().hex[:10]}"
    terminal_id = f"T-{uuid.uuid4().hex[:8]}"
    sandbox.register_client(client_id=client_id, terminal_id=terminal_id, public_key_pem=public_key_pem(key),
                            key_version=1)
    data = {
        "terminal": {"serial_number": "TEST-1", "currencies": ["USD", "CAD"], "max_amount": "10000.00"},
        "acquirer": {
            "base_url": sandbox.base_url, "client_id": client_id, "terminal_id": terminal_id, "key_version": 1,
            "ca_bundle": str(sandbox.ca_bundle_path), "signing_public_key": str(sandbox.signing_public_key_path),
            "encryption_public_key": str(sandbox.encryption_public_key_path),
            "encryption_kid": sandbox.encryption_kid, **FAST_SCHEDULE, **(acquirer or {}),
        },
        "printer": {"kind": "file", "path": str(tmp / "receipts.txt")},
        "storage": {"state_dir": str(state)},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    path = tmp / "terminal.toml"
    path.write_text(tomli_w.dumps(data))
    (state / "manager_pin.json").exists() or _set_pins(state)
    return path


def _set_pins(state: Path) -> None:
    from terminal.pins import PinVault

    vault = PinVault(state_dir=state)
    vault.set_pin("manager", "2468")
    vault.set_pin("technician", "1357")


MANAGER_PIN = "2468"


def client_id_of(config: Path) -> str:
    """The acquirer client id a terminal configuration was registered under."""
    import tomllib

    return tomllib.loads(Path(config).read_text())["acquirer"]["client_id"]


def cli_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "POS_TERMINAL_STATE_DIR"}
    # diagnose's persistence check reads this mount table instead of the machine's: a test's state
    # directory under /tmp (tmpfs on Debian trixie, an overlay in a container) is not the device.
    env.setdefault("POS_TERMINAL_MOUNTINFO", str(Path(__file__).parent / "data" / "mountinfo-disk.txt"))
    env.update(extra or {})
    return env


def cli_argv(config: Path | None, *args: str) -> list[str]:
    """`pos-terminal [--config CONFIG] ARGS` as a fresh interpreter of this checkout runs it."""
    cmd = [sys.executable, "-m", "terminal.cli.main"]
    if config is not None:
        cmd += ["--config", str(config)]
    return cmd + list(args)


def run_cli(config: Path | None, *args: str, env: dict | None = None, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_argv(config, *args), capture_output=True, text=True, timeout=timeout,
                          env=cli_env(env), input=input, check=False)


def popen_cli(config: Path | None, *args: str, env: dict | None = None) -> subprocess.Popen:
    """The same, started: stdout and stderr as text pipes (the caller reads, waits and kills)."""
    return subprocess.Popen(cli_argv(config, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(env))


def cli_json(config: Path, *args: str, **kw) -> tuple[int, dict]:
    proc = run_cli(config, "--json", *args, **kw)
    try:
        return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError:
        raise AssertionError(f"not JSON on stdout: {proc.stdout!r}\nstderr: {proc.stderr}")


def build(config_path: Path):
    from terminal.wiring import build_terminal

    return build_terminal(load_config(config_path))


def files_under(*roots: Path):
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                yield path


def admin(sandbox, method: str, path: str, **kw):
    import requests

    response = requests.request(method, sandbox.admin_url + path, verify=str(sandbox.ca_bundle_path), timeout=10, **kw)
    response.raise_for_status()
    return response.json()


def acquirer_payment(sandbox, payment_request_id: str) -> dict | None:
    import requests

    response = requests.get(f"{sandbox.admin_url}/payments/{payment_request_id}",
                            verify=str(sandbox.ca_bundle_path), timeout=10)
    return None if response.status_code == 404 else response.json()


# What the acquirer's record must say for each final terminal state (spec §6 invariant).
ACQUIRER_STATUS_FOR = {
    "APPROVED": {"SUCCESS"}, "PARTIALLY_REFUNDED": {"SUCCESS"}, "REFUNDED": {"SUCCESS"},
    "DECLINED": {"FAIL", None}, "CANCELLED": {"CANCELLED", None},
}


def assert_consistent(sandbox, transactions: list[dict]) -> None:
    """The terminal's final state equals the acquirer's for every journalled payment."""
    for tx in transactions:
        record = acquirer_payment(sandbox, tx["paymentRequestId"])
        status = record["status"] if record else None
        assert status in ACQUIRER_STATUS_FOR[tx["state"]], (tx, record)
        if status == "SUCCESS":
            refunded = sum(int(r["amount"]["value"]) for r in tx["refunds"] if r["state"] == "SUCCESS")
            assert int((record["refundedAmount"] or {"value": "0"})["value"]) == refunded, (tx, record)


def core_journal(terminal):
    """White-box: the running terminal's own journal, for tests that stage what no acquirer
    answer produces on demand (a payment resolved in the background while a screen shows it, a
    read-only database). Front ends never reach it (tests/test_narrow_face.py)."""
    return terminal._journal


def embedded_sandbox(terminal):
    """White-box: the demo profile's in-process sandbox acquirer (fault switches, its store)."""
    return terminal._around.sandbox


def acquirer_link(terminal):
    """White-box: the terminal's Connectivity (the link indicator's source), to take it down."""
    return terminal._around.connectivity


def pin_vault(terminal):
    """A PinVault on the terminal's state directory (the files and lockout counters it uses)."""
    from terminal.pins import PinVault

    return PinVault(state_dir=terminal.settings.state_dir)


def slips_file(config):
    """Where a `file` printer of `config` writes its slips."""
    return config.state_path(config.printer.path)
