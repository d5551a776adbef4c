"""What a technician needs to know when the link to the acquirer fails: whose certificate the
server showed and which CA the terminal expected, and how far the device clock is off.

The acquirer refuses a request more than 300 s from its clock (acquirer-api.md §2), so a wrong
clock looks like INVALID_REQUEST_TIME; comparing the device clock with the answer's
`Response-Time` names the real cause.
"""
from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from .signing import parse_timestamp

if TYPE_CHECKING:
    from .acquirer import AcquirerResult

MAX_CLOCK_SKEW_S = 300
MAX_LINE = 400          # one diagnose line (a system CA list once made one 10,733 characters long)


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """Whitespace collapsed, cut at `limit` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class ResponseClock:
    """A `requests` response hook remembering the acquirer's last Response-Time vs our clock."""

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._now = now
        self.skew_s: float | None = None   # acquirer time minus device time

    def attach(self, session: requests.Session) -> ResponseClock:
        session.hooks.setdefault("response", []).append(self._hook)
        return self

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
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
        skew = self.skew_s
        if skew is None or not self.off:
            return ""
        direction = "behind" if skew > 0 else "ahead of"
        return (f"the device clock is {abs(skew):.0f} s {direction} the acquirer's (more than "
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
        with socket.create_connection((host, port), timeout=timeout_s) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        return one_line(cert.subject.rfc4514_string(), 120), one_line(cert.issuer.rfc4514_string(), 120)
    except Exception:  # an unparseable certificate is itself worth reporting, but not fatal here  # noqa: BLE001
        return None


def expected_cas(ca_bundle: str | None) -> str:
    if not ca_bundle:
        return "a CA of the system trust store"
    try:
        from cryptography import x509

        certs = x509.load_pem_x509_certificates(Path(ca_bundle).read_bytes())
        if len(certs) > 2:      # a whole trust store: its count, not its names
            return f"one of the {len(certs)} CAs in {ca_bundle}"
        names = "; ".join(one_line(c.subject.rfc4514_string(), 120) for c in certs)
        return f"{names} (from {ca_bundle})"
    except (OSError, ValueError) as exc:
        return f"the CA bundle {ca_bundle}, which cannot be read ({one_line(exc, 120)})"


def describe_tls_failure(base_url: str, ca_bundle: str | None) -> str:
    """One message naming the presented certificate and the CA expected, with the fix."""
    peer = peer_certificate_subject(base_url)
    shown = (f"the server presented a certificate for {peer[0]} issued by {peer[1]}" if peer
             else "the server's certificate could not be read")
    detail = one_line(f"TLS verification of {base_url} failed ({shown}), but the terminal expects one signed "
                      f"by {expected_cas(ca_bundle)}", MAX_LINE - 80)
    return detail + ": check --ca-bundle / acquirer.ca_bundle and the acquirer URL"


def connection_cause(base_url: str, timeout_s: float = 3.0) -> tuple[str, str]:
    """Why a connection failed, found by doing its steps again: (what, what to do), never ': ' in
    the second. Name resolution (DNS), then the TCP connection (refused, unreachable, timed out)."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return (f"the host name {host} cannot be resolved (DNS: {exc.strerror})",
                "check the host name in acquirer.base_url and the DNS servers (/etc/resolv.conf, DHCP)")
    except (OSError, UnicodeError) as exc:
        return f"the host name {host} cannot be resolved ({one_line(exc, 120)})", "check acquirer.base_url"
    last: OSError | None = None
    for family, kind, proto, _name, address in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout_s)
                sock.connect(address)
            return (f"{host}:{port} accepts connections now (the failure was intermittent)",
                    "check the network (cable, Wi-Fi signal) and try again")
        except OSError as exc:
            last = exc
    if isinstance(last, ConnectionRefusedError):
        return (f"connection refused by {host}:{port} (the host answers, nothing listens on that port)",
                "check the port in acquirer.base_url, or the acquirer service is down")
    if isinstance(last, (TimeoutError, socket.timeout)):
        return (f"no answer from {host}:{port} within {timeout_s:.0f} s",
                "check the network cable/Wi-Fi, the router and any firewall")
    return (f"cannot connect to {host}:{port} ({last.strerror if last else 'no address'})",
            "check the network cable/Wi-Fi, the URL and any firewall")


def explain_failure(result: AcquirerResult, *, base_url: str, ca_bundle: str | None) -> str:
    """What to do about an AcquirerResult that is not a usable answer (transport or a fault
    code the acquirer returns for configuration, key or clock trouble)."""
    from . import acquirer as a

    code = result.code
    if code == a.TLS:
        return describe_tls_failure(base_url, ca_bundle)
    if code == a.CONNECTION:
        what, fix = connection_cause(base_url)
        return f"cannot reach the acquirer at {base_url}: {what}: {fix}"
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
    return one_line(f"the acquirer answered {result.status}/{code} {result.message}")
