"""Which CAs the terminal trusts for the acquirer when `acquirer.ca_bundle` is empty.

The rule (config/README.md): the operating system's trust store, the file the `ca-certificates`
package maintains, /etc/ssl/certs/ca-certificates.crt on Debian and Raspberry Pi OS; on other
systems OpenSSL's own default CA file. Never the `certifi` bundle inside the virtualenv (what
`requests` falls back to): that one is frozen at install time, is not updated with the system,
and ignores CAs the fleet operator adds with `update-ca-certificates`. Environment variables
(SSL_CERT_FILE, REQUESTS_CA_BUNDLE) do not change it either: the trust of a payment terminal is
its configuration, not its environment.
"""
from __future__ import annotations

import ssl
from pathlib import Path

from .errors import FaultError

DEBIAN_STORE = "/etc/ssl/certs/ca-certificates.crt"


def system_store_candidates() -> list[str]:
    return [DEBIAN_STORE, ssl.get_default_verify_paths().openssl_cafile]


def system_ca_bundle(candidates: list[str] | None = None) -> str:
    """The path of the system's CA file; FaultError when the system has none."""
    tried = candidates if candidates is not None else system_store_candidates()
    for candidate in tried:
        if candidate and Path(candidate).is_file():
            return candidate
    raise FaultError(f"acquirer.ca_bundle is empty and this system has no CA store ({', '.join(filter(None, tried))} "
                     "missing): install the ca-certificates package, or set acquirer.ca_bundle to the acquirer's "
                     "CA (PEM)", code="CA_BUNDLE")
