"""Where the acquirer is and how the terminal talks to it: the one place that turns
configuration into an `AcquirerEndpoint` and an `AcquirerClient`.

The running terminal (wiring.py), `rotate-key`, `diagnose` and `provision` all get their client
here, so the timeouts, the pinned CA bundle and the acquirer's verification key are applied the
same way everywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .acquirer import AcquirerClient, Credentials
from .config import AcquirerSection, Config
from .errors import FaultError
from .signing import load_public_key


@dataclass
class AcquirerEndpoint:
    base_url: str
    ca_bundle: str
    signing_public_key: Path
    encryption_public_key: Path
    encryption_kid: str


def configured_endpoint(config: Config) -> AcquirerEndpoint:
    """The provisioned acquirer of a configuration (not the embedded sandbox)."""
    a = config.acquirer
    missing = [k for k in ("client_id", "terminal_id", "signing_public_key", "encryption_public_key",
                           "encryption_kid") if not getattr(a, k)]
    if missing:
        raise FaultError(f"acquirer.{missing[0]} is not set: provision the terminal (`pos-terminal provision`)",
                         code="NOT_PROVISIONED")
    return AcquirerEndpoint(a.base_url, str(config.resolve(a.ca_bundle)) if a.ca_bundle else "",
                            config.resolve(a.signing_public_key), config.resolve(a.encryption_public_key),
                            a.encryption_kid)


def read_acquirer_key(path: Path) -> RSAPublicKey:
    """The acquirer's response-signing key (loaded once: a PEM load costs tens of ms)."""
    try:
        return load_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise FaultError(f"acquirer signing key {path} cannot be read ({exc}): re-provision or fix "
                         f"acquirer.signing_public_key", code="KEY") from None


def make_client(acquirer: AcquirerSection, *, base_url: str, ca_bundle: str | None,
                acquirer_public_key: RSAPublicKey | None,
                credentials: Credentials | Callable[[], Credentials | None] = lambda: None,
                session: requests.Session | None = None) -> AcquirerClient:
    """An AcquirerClient with the configured timeouts. Without `credentials`, every call passes
    its own (provisioning, rotation, diagnostics)."""
    # Without credentials every call passes its own: the client never reads this callable's None.
    return AcquirerClient(base_url=base_url, credentials=credentials,  # type: ignore[arg-type]
                          acquirer_public_key=acquirer_public_key,
                          ca_bundle=ca_bundle or None, connect_timeout_s=acquirer.connect_timeout_s,
                          pay_read_timeout_s=acquirer.read_timeout_s, read_timeout_s=acquirer.other_read_timeout_s,
                          session=session)


def client_for(config: Config, endpoint: AcquirerEndpoint | None = None, *,
               credentials: Credentials | Callable[[], Credentials | None] = lambda: None) -> AcquirerClient:
    """A client for `endpoint` (default: the configuration's provisioned acquirer)."""
    endpoint = endpoint or configured_endpoint(config)
    return make_client(config.acquirer, base_url=endpoint.base_url, ca_bundle=endpoint.ca_bundle,
                       acquirer_public_key=read_acquirer_key(endpoint.signing_public_key), credentials=credentials)
