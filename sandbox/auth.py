"""Request authentication: Client-Id → the client's key by keyVersion, signature, clock.

Key rotation: the current key and the key it replaced are accepted, the latter for 24 h
after the rotation. Anything else answers KEY_NOT_FOUND.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from .protocol import DAY_MS, Refusal, now_ms
from .signatures import (
    RSA256,
    SignatureError,
    SignatureField,
    header_value,
    read_public_pem,
    read_signature_field,
    read_time,
    rsa256_valid,
    signed_content,
)
from .store import Store

MAX_CLOCK_DRIFT_S = 300
ACTIVATION_CLIENT_ID = "activation"


@dataclass(frozen=True)
class Client:
    client_id: str
    terminal_id: str
    key_version: int


def check_request_time(headers: Mapping[str, str], *, skew_s: float) -> None:
    try:
        sent = read_time(header_value(headers, "Request-Time"))
    except SignatureError as exc:
        raise Refusal("INVALID_REQUEST_TIME", f"Request-Time: {exc}") from None
    now = datetime.now(UTC) + timedelta(seconds=skew_s)
    if abs((now - sent).total_seconds()) > MAX_CLOCK_DRIFT_S:
        raise Refusal("INVALID_REQUEST_TIME")


def signature_header(headers: Mapping[str, str]) -> SignatureField:
    try:
        header = read_signature_field(header_value(headers, "Signature"))
    except SignatureError as exc:
        raise Refusal("INVALID_SIGNATURE", f"Signature header: {exc}") from None
    if header.algorithm != RSA256:
        raise Refusal("INVALID_SIGNATURE", f"unsupported signature algorithm {header.algorithm}")
    return header


def check_signature(public_key: rsa.RSAPublicKey, *, path: str, headers: Mapping[str, str], body: bytes,
                    header: SignatureField) -> None:
    """The content uses the Client-Id and Request-Time headers exactly as received."""
    content = signed_content(path, header_value(headers, "Client-Id") or "",
                             header_value(headers, "Request-Time") or "", body)
    if not rsa256_valid(public_key, content, header.value):
        raise Refusal("INVALID_SIGNATURE")


def usable_key(store: Store, client_id: str, key_version: int) -> dict | None:
    keys = store.client_keys(client_id)
    wanted = next((k for k in keys if k["key_version"] == key_version), None)
    if wanted is None:
        return None
    if wanted["superseded_ms"] is None:
        return wanted
    previous = max((k["key_version"] for k in keys if k["superseded_ms"] is not None), default=None)
    if key_version == previous and now_ms() - wanted["superseded_ms"] <= DAY_MS:
        return wanted
    return None


def authenticate(store: Store, *, path: str, headers: Mapping[str, str], body: bytes, skew_s: float) -> Client:
    client_id = header_value(headers, "Client-Id") or ""
    client = store.client(client_id) if client_id else None
    if client is None:
        raise Refusal("ACCESS_DENIED", f"unknown Client-Id {client_id!r}" if client_id else "Client-Id missing")
    header = signature_header(headers)
    key = usable_key(store, client_id, header.key_version)
    if key is None:
        raise Refusal("KEY_NOT_FOUND", f"no usable key version {header.key_version} for this client")
    check_signature(read_public_pem(key["public_key_pem"].encode()), path=path, headers=headers, body=body,
                    header=header)
    check_request_time(headers, skew_s=skew_s)
    current = max(k["key_version"] for k in store.client_keys(client_id) if k["superseded_ms"] is None)
    return Client(client_id, client["terminal_id"], current)
