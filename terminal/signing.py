"""Message signing in both directions (acquirer-api.md §2).

content = "POST <path>\\n<Client-Id>.<Request-Time>.<raw body bytes>", signed with
RSASSA-PKCS1-v1_5-SHA256; the header carries the base64 signature percent-encoded with
`quote(b64, safe="")`. The bytes signed are exactly the bytes sent.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RSA256"
_HEADER = re.compile(r"^algorithm=([A-Za-z0-9]+),keyVersion=([0-9]{1,9}),signature=([A-Za-z0-9%._~-]+)$")


def content_string(path: str, client_id: str, timestamp: str, body: bytes) -> bytes:
    return f"POST {path}\n{client_id}.{timestamp}.".encode() + body


def utc_timestamp(now: datetime | None = None) -> str:
    """ISO 8601, UTC, millisecond precision: 2026-11-24T18:21:25.123Z."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Strict parse of the contract's timestamp; ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text or ""):
        raise ValueError(f"timestamp {text!r} is not ISO 8601 UTC with milliseconds")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SignatureHeader:
    algorithm: str
    key_version: int
    signature: bytes

    def render(self) -> str:
        b64 = base64.b64encode(self.signature).decode("ascii")
        return f"algorithm={self.algorithm},keyVersion={self.key_version},signature={quote(b64, safe='')}"

    @classmethod
    def parse(cls, header: str | None) -> "SignatureHeader":
        match = _HEADER.match((header or "").strip())
        if not match:
            raise ValueError("Signature header missing or malformed")
        try:
            raw = base64.b64decode(unquote(match.group(3)), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("Signature header: signature is not base64") from None
        return cls(match.group(1), int(match.group(2)), raw)


def sign(private_key: rsa.RSAPrivateKey, content: bytes) -> bytes:
    return private_key.sign(content, padding.PKCS1v15(), hashes.SHA256())


def verify(public_key: rsa.RSAPublicKey, content: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def signed_headers(
    *, private_key: rsa.RSAPrivateKey, key_version: int, path: str, client_id: str, body: bytes,
    time_header: str = "Request-Time", timestamp: str | None = None,
) -> dict[str, str]:
    """Client-Id, Request-Time (or Response-Time) and Signature headers for `body`."""
    ts = timestamp or utc_timestamp()
    sig = sign(private_key, content_string(path, client_id, ts, body))
    return {
        "Client-Id": client_id,
        time_header: ts,
        "Signature": SignatureHeader(ALGORITHM, key_version, sig).render(),
    }


def verify_headers(
    *, public_key: rsa.RSAPublicKey, path: str, headers, body: bytes, time_header: str = "Response-Time",
    expected_client_id: str | None = None,
) -> tuple[bool, str]:
    """Check a signed message; returns (ok, reason). Never raises on bad input."""
    client_id = headers.get("Client-Id")
    timestamp = headers.get(time_header)
    if not client_id or not timestamp:
        return False, f"missing Client-Id or {time_header} header"
    if expected_client_id is not None and client_id != expected_client_id:
        return False, "Client-Id does not match"
    try:
        header = SignatureHeader.parse(headers.get("Signature"))
    except ValueError as exc:
        return False, str(exc)
    if header.algorithm != ALGORITHM:
        return False, f"unsupported signature algorithm {header.algorithm}"
    if not verify(public_key, content_string(path, client_id, timestamp, body), header.signature):
        return False, "signature does not verify"
    return True, "ok"


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != 2048:
        raise ValueError("signing key must be RSA 2048")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("public key must be RSA, 2048 bits or more")
    return key
