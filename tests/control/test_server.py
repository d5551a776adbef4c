"""Serving: loopback by default, TLS required (and served) on any other address; the CLI."""
from __future__ import annotations

import json

import pytest
import requests

from sandbox.tls import ensure_tls
from terminal.config import load_config
from terminal.control import ControlServer, check_bind
from terminal.errors import FaultError
from tests.support import run_cli, write_terminal_config


def test_non_loopback_without_tls_is_refused_naming_the_keys(tmp_path, sandbox):
    path = write_terminal_config(tmp_path, sandbox, control={"enabled": True, "host": "0.0.0.0"})
    with pytest.raises(FaultError) as refused:
        check_bind(load_config(path))
    assert "control.tls_cert" in refused.value.message and "control.tls_key" in refused.value.message
    proc = run_cli(path, "control", "--port", "0", timeout=60)
    assert proc.returncode == 3 and "control.tls_cert" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_needs_no_tls(tmp_path, sandbox, host):
    path = write_terminal_config(tmp_path, sandbox, control={"enabled": True, "host": host})
    assert check_bind(load_config(path)) == ("", "")


def test_half_a_tls_pair_is_refused(tmp_path, sandbox):
    path = write_terminal_config(tmp_path, sandbox, control={"enabled": True, "tls_cert": "cert.pem"})
    with pytest.raises(FaultError, match="go together"):
        check_bind(load_config(path))


def test_tls_is_served_on_a_non_loopback_address(tmp_path, sandbox, shared):
    tls = ensure_tls(tmp_path / "tls")
    path = write_terminal_config(tmp_path, sandbox, control={"enabled": True, "host": "0.0.0.0",
                                                             "tls_cert": str(tls.server_cert),
                                                             "tls_key": str(tls.server_key)})
    cert, key = check_bind(load_config(path))
    with ControlServer(shared.control.app, host="0.0.0.0", port=0, tls_cert=cert, tls_key=key) as server:
        assert server.url.startswith("https://")
        url = f"https://127.0.0.1:{server.port}/v1/status"
        session = requests.Session()
        session.trust_env = False
        ok = session.get(url, headers=shared.headers(), verify=str(tls.ca_cert), timeout=10)
        assert ok.status_code == 200 and ok.json()["state"] in ("IDLE", "RESULT")
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"http://127.0.0.1:{server.port}/v1/status", headers=shared.headers(), timeout=10)


def test_control_command_refuses_when_disabled(tmp_path, sandbox):
    path = write_terminal_config(tmp_path, sandbox)          # control.enabled defaults to false
    proc = run_cli(path, "control", timeout=60)
    assert proc.returncode == 3 and "control.enabled" in proc.stderr


def test_control_command_prints_where_the_token_is_not_the_token(tmp_path, sandbox):
    import signal

    from tests.support import popen_cli

    path = write_terminal_config(tmp_path, sandbox, control={"enabled": True})
    proc = popen_cli(path, "--json", "control", "--port", "0")
    try:
        ready = json.loads(proc.stdout.readline())       # bounded by the communicate timeout below
        token_file = tmp_path / "state" / "control_token"
        assert ready["tokenFile"] == str(token_file) and (token_file.stat().st_mode & 0o777) == 0o600
        token = token_file.read_text().strip()
        assert len(token) == 64
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert token not in out + err and "control_token" in err
