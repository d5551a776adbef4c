"""`python -m sandbox` / `pos-terminal sandbox`: serve, print the details, stop on SIGTERM."""
from __future__ import annotations

import argparse
import json
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from terminal.signing import public_key_pem

from .helpers import Terminal, code

ROOT = Path(__file__).resolve().parents[2]


def _first_line(proc, timeout_s=30.0) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    assert sel.select(timeout_s), "sandbox printed nothing"
    return proc.stdout.readline()


def test_python_m_sandbox_serves_and_stops_on_sigterm(tmp_path, terminal_key):
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--json", "--state-dir", str(tmp_path),
                             "--slow-response-s", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(_first_line(proc))
        assert info["baseUrl"].startswith("https://127.0.0.1:") and info["encryptionKid"].startswith("sandbox-enc-")
        sb = SimpleNamespace(
            base_url=info["baseUrl"], admin_url=info["adminUrl"], ca_bundle_path=Path(info["caBundle"]),
            signing_public_key_path=Path(info["signingPublicKey"]),
            encryption_public_key_path=Path(info["encryptionPublicKey"]), encryption_kid=info["encryptionKid"],
            ctx=SimpleNamespace(settings=SimpleNamespace(base_path="")))
        term = Terminal(sb, client_id="cli", terminal_id="T-CLI", private_key=terminal_key)
        resp = term.admin("POST", "/clients", json={"client_id": "cli", "terminal_id": "T-CLI",
                                                    "public_key_pem": public_key_pem(terminal_key).decode()})
        assert resp.status_code == 200
        assert term.pay(code("0000"))["result"]["resultCode"] == "SUCCESS"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert code("0000") not in err


def test_cmd_sandbox_registers_subcommand(tmp_path, monkeypatch):
    from terminal.cli import cmd_sandbox

    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    cmd_sandbox.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--json", "sandbox", "--port", "0", "--state-dir", str(tmp_path),
                              "--slow-response-s", "2.5"])
    assert args.func is cmd_sandbox.run and args.slow_response_s == 2.5 and args.state_dir == tmp_path
    monkeypatch.setenv("POS_TERMINAL_STATE_DIR", str(tmp_path))
    from sandbox.standalone import default_state_dir

    assert default_state_dir() == tmp_path / "sandbox"
