"""diagnose and provision tell a DNS failure, a refused connection and a TLS failure apart, on
real loopback cases, and keep a certificate error to one short line."""
from __future__ import annotations

import datetime
import socket
import ssl
import threading

import pytest
import requests

from terminal import acquirer as a
from terminal.link_checks import (
    MAX_LINE,
    connection_cause,
    describe_tls_failure,
    explain_failure,
)


def _result(code: str, message: str = "x") -> a.AcquirerResult:
    return a.AcquirerResult("U", code, message, transport_error=code)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dns_failure():
    what, fix = connection_cause("https://nonexistent.invalid:8443")
    assert "nonexistent.invalid cannot be resolved (DNS" in what and "DNS servers" in fix
    text = explain_failure(_result(a.CONNECTION), base_url="https://nonexistent.invalid", ca_bundle=None)
    assert "cannot be resolved" in text and "refused" not in text and "TLS" not in text


def test_refused_connection():
    port = _closed_port()
    text = explain_failure(_result(a.CONNECTION), base_url=f"https://127.0.0.1:{port}", ca_bundle=None)
    assert f"connection refused by 127.0.0.1:{port}" in text and "DNS" not in text


def _cert(tmp_path, cn: str, issuer_key=None, issuer_name=None, ca=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(issuer_key or key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem, key_pem


@pytest.fixture
def untrusted_server(tmp_path):
    """A TLS server on loopback with a self-signed certificate nobody trusts."""
    pem, key_pem = _cert(tmp_path, "untrusted.example")
    (tmp_path / "srv.pem").write_bytes(pem + key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "srv.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_tls_failure_names_the_certificate_in_one_short_line(untrusted_server, tmp_path):
    # A bundle the size of a system trust store (this once made a 10,733-character line).
    bundle = b"".join(_cert(tmp_path, f"Some Root CA number {i} with a long organisation name", ca=True)[0]
                      for i in range(150))
    (tmp_path / "bundle.pem").write_bytes(bundle)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(untrusted_server, verify=str(tmp_path / "bundle.pem"), timeout=5)
    text = explain_failure(_result(a.TLS), base_url=untrusted_server, ca_bundle=str(tmp_path / "bundle.pem"))
    assert "TLS verification" in text and "CN=untrusted.example" in text
    assert "one of the 150 CAs in" in text and "refused" not in text and "DNS" not in text
    assert len(text) <= MAX_LINE and "\n" not in text
    assert text.rpartition(": ")[2].startswith("check --ca-bundle")


def test_a_long_subject_is_cut(tmp_path):
    pem, _ = _cert(tmp_path, "x" * 60, ca=True)
    (tmp_path / "one.pem").write_bytes(pem)
    text = describe_tls_failure(f"https://127.0.0.1:{_closed_port()}", str(tmp_path / "one.pem"))
    assert len(text) <= MAX_LINE and "could not be read" in text
