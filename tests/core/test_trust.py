"""An empty acquirer.ca_bundle means the system store (issue #12 item 10), the one rule in
config/README.md: /etc/ssl/certs/ca-certificates.crt, else OpenSSL's default file; never the
certifi bundle inside the venv, never an environment variable."""
from __future__ import annotations

from pathlib import Path

import pytest

from terminal import trust
from terminal.acquirer import AcquirerClient
from terminal.errors import FaultError


def _client(ca_bundle=None) -> AcquirerClient:
    return AcquirerClient(base_url="https://127.0.0.1:9", credentials=None, acquirer_public_key=None,
                          ca_bundle=ca_bundle, connect_timeout_s=1, pay_read_timeout_s=1, read_timeout_s=1)


def test_empty_bundle_is_the_system_store_not_certifi(monkeypatch, tmp_path):
    store = tmp_path / "system.pem"
    store.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setattr(trust, "system_store_candidates", lambda: [str(store), "/nonexistent"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/elsewhere.pem")
    monkeypatch.setenv("SSL_CERT_FILE", "/elsewhere.pem")
    client = _client("")
    assert client._verify == str(store)
    import certifi
    assert client._verify != certifi.where()


def test_the_debian_store_comes_first():
    candidates = trust.system_store_candidates()
    assert candidates[0] == "/etc/ssl/certs/ca-certificates.crt"
    assert all("site-packages" not in c for c in candidates if c)


def test_no_system_store_is_a_clear_fault(monkeypatch):
    monkeypatch.setattr(trust, "system_store_candidates", lambda: ["/nonexistent/a.crt"])
    with pytest.raises(FaultError) as info:
        _client(None)
    assert info.value.code == "CA_BUNDLE" and "ca-certificates" in info.value.message


def test_a_configured_bundle_is_used_as_is(tmp_path):
    assert _client(str(tmp_path / "ca.pem"))._verify == str(tmp_path / "ca.pem")


def test_a_real_request_trusts_the_system_store(sandbox, monkeypatch, tmp_path):
    """With the sandbox's CA placed in the 'system store', an empty ca_bundle reaches the sandbox
    over verified TLS; with certifi (the old behaviour) it would fail verification."""
    import requests
    store = tmp_path / "system.pem"
    store.write_bytes(Path(sandbox.ca_bundle_path).read_bytes())
    monkeypatch.setattr(trust, "system_store_candidates", lambda: [str(store)])
    client = _client("")
    r = client.session.get(sandbox.base_url.rstrip("/") + "/", verify=client._verify, timeout=10)
    assert r.status_code < 500
    with pytest.raises(requests.exceptions.SSLError):
        client.session.get(sandbox.base_url.rstrip("/") + "/", verify=True, timeout=10)   # certifi
