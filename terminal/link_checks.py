"""What a technician needs to know when the link to the acquirer fails: whose certificate the
server showed and which CA the terminal expected, and how far the device clock is off.

The acquirer refuses a request more than 300 s from its clock (acquirer-api.md §2), so a wrong
clock looks like INVALID_REQUEST_TIME; comparing the device clock with the answer's
`Response-Time` names the real cause.
"""
from __future__ import annotations

import socket
import ssl
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .signing import parse_timestamp

MAX_CLOCK_SKEW_S = 300


class ResponseClock:
    """A `requests` response hook remembering the acquirer's last Response-Time vs our clock."""

    def __init__(self, *, now=lambda: datetime.now(timezone.utc)):
        self._now = now
        self.skew_s: float | None = None   # acquirer time minus device time

    def attach(self, session: requests.Session) -> "ResponseClock":
        session.hooks.setdefault("response", []).append(self._hook)
        return self

    def _hook(self, response, *args, **kwargs):
        stamp = response.headers.get("Response-Time")
        if stamp:
            try:
                self.skew_s = (parse_timestamp(stamp) - self._now()).total_seconds()
            except ValueError:
                pass
        return response

    @property
    def off(self) -> bool:
        return self.skew_s is not None and abs(self.skew_s) > MAX_CLOCK_SKEW_S

    def problem(self) -> str:
        """A message that says what to do, or "" when the clock is fine (or unknown)."""
        if not self.off:
            return ""
        direction = "behind" if self.skew_s > 0 else "ahead of"
        return (f"the device clock is {abs(self.skew_s):.0f} s {direction} the acquirer's (more than "
                f"{MAX_CLOCK_SKEW_S} s is refused): set the time (`timedatectl set-ntp true`, or "
                f"`sudo date -s ...`) and try again")


def peer_certificate_subject(base_url: str, timeout_s: float = 3.0) -> tuple[str, str] | None:
    """(subject, issuer) of the certificate the server presents, fetched WITHOUT trusting it
    (only to name it in an error message), or None if it cannot be fetched."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        return cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    except Exception:  # an unparseable certificate is itself worth reporting, but not fatal here
        return None


def expected_cas(ca_bundle: str | None) -> str:
    if not ca_bundle:
        return "a CA of the system trust store"
    try:
        from cryptography import x509

        certs = x509.load_pem_x509_certificates(Path(ca_bundle).read_bytes())
        names = "; ".join(c.subject.rfc4514_string() for c in certs)
        return f"{names} (from {ca_bundle})"
    except (OSError, ValueError) as exc:
        return f"the CA bundle {ca_bundle}, which cannot be read ({exc})"


def describe_tls_failure(base_url: str, ca_bundle: str | None) -> str:
    """One message naming the presented certificate and the CA expected, with the fix."""
    peer = peer_certificate_subject(base_url)
    shown = (f"the server presented a certificate for {peer[0]} issued by {peer[1]}" if peer
             else "the server's certificate could not be read")
    return (f"TLS verification of {base_url} failed: {shown}, but the terminal expects one signed by "
            f"{expected_cas(ca_bundle)}: check --ca-bundle / acquirer.ca_bundle and the acquirer URL")


def _cause(message: str) -> str:
    for needle, cause in (("refused", "connection refused"), ("Name or service not known", "host name not found"),
                          ("getaddrinfo", "host name not found"), ("unreachable", "network unreachable"),
                          ("timed out", "timed out")):
        if needle in message:
            return cause
    return "no connection"


def explain_failure(result, *, base_url: str, ca_bundle: str | None) -> str:
    """What to do about an AcquirerResult that is not a usable answer (transport or a fault
    code the acquirer returns for configuration, key or clock trouble)."""
    from . import acquirer as a

    code = result.code
    if code == a.TLS:
        return describe_tls_failure(base_url, ca_bundle)
    if code == a.CONNECTION:
        return (f"cannot reach the acquirer at {base_url} ({_cause(result.message)}): check the network "
                f"cable/Wi-Fi, the URL and any firewall")
    if code == a.TIMEOUT:
        return f"the acquirer at {base_url} did not answer in time: check the network and try again"
    if code == a.HTTP_STATUS:
        return (f"the acquirer at {base_url} answered {result.message} instead of the API: it may be down, or "
                f"the URL (path prefix) is wrong")
    if code in (a.NOT_JSON, a.NO_RESULT):
        return f"the server at {base_url} does not speak the acquirer API: check the URL"
    if code in (a.UNVERIFIED, a.ECHO_MISMATCH):
        return (f"the answer is not signed by the acquirer key this terminal trusts ({result.message}): check "
                f"--acquirer-key / acquirer.signing_public_key against the key the acquirer published")
    if code == "INVALID_REQUEST_TIME":
        return ("the acquirer refused the request time: the device clock is more than 300 s off; set the time "
                "(`timedatectl set-ntp true`) and try again")
    if code in ("INVALID_SIGNATURE", "KEY_NOT_FOUND"):
        return (f"the acquirer does not accept this terminal's key ({code}): finish an interrupted key rotation "
                f"with `pos-terminal rotate-key`, or re-provision")
    if code == "ACCESS_DENIED":
        return "the acquirer does not know this terminal (ACCESS_DENIED): check acquirer.client_id or re-provision"
    return f"the acquirer answered {result.status}/{code} {result.message}".rstrip()
