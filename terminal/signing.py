"""Message signing in both directions (acquirer-api.md §2).

content = "POST <path>\\n<Client-Id>.<Request-Time>.<raw body bytes>", signed with
RSASSA-PKCS1-v1_5-SHA256; the header carries the base64 signature percent-encoded with
`quote(b64, safe="")`. The bytes signed are exactly the bytes sent.

Strict in what it sends, liberal in what it accepts: real gateways and the official SDKs
write `Signature` fields in any order with spaces after the commas, times with an offset or
as epoch milliseconds, and header names in any case. All of those verify; the content string
always uses the time header exactly as received.
"""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "RSA256"
_SIGNATURE_VALUE = re.compile(r"[A-Za-z0-9%._~+/=-]+")   # percent-encoded (or plain) base64
_KEY_VERSION = re.compile(r"[0-9]{1,9}")
_ISO_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)")
_EPOCH_MS = re.compile(r"\d{12,14}")


def content_string(path: str, client_id: str, timestamp: str, body: bytes) -> bytes:
    return f"POST {path}\n{client_id}.{timestamp}.".encode() + body


def utc_timestamp(now: datetime | None = None) -> str:
    """ISO 8601, UTC, millisecond precision: 2026-11-24T18:21:25.123Z."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """A peer's Request-Time / Response-Time as an aware UTC datetime; ValueError otherwise.

    Accepted: ISO 8601 with `Z` or a numeric offset, with or without fractional seconds
    (2026-11-24T18:21:25Z, 2026-11-25T02:21:25.123+08:00), and epoch milliseconds
    (1795544485123). A time without a zone is refused: it cannot be placed on the clock.
    """
    text = (text or "").strip()
    if _EPOCH_MS.fullmatch(text):
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    match = _ISO_TIME.fullmatch(text)
    if not match:
        raise ValueError(f"timestamp {text!r} is not ISO 8601 with a zone (Z or an offset) "
                         "nor epoch milliseconds")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
                         tzinfo=timezone(offset))
    except ValueError as exc:
        raise ValueError(f"timestamp {text!r}: {exc}") from None
    return local.astimezone(UTC)


@dataclass(frozen=True)
class SignatureHeader:
    algorithm: str
    key_version: int
    signature: bytes

    def render(self) -> str:
        b64 = base64.b64encode(self.signature).decode("ascii")
        return f"algorithm={self.algorithm},keyVersion={self.key_version},signature={quote(b64, safe='')}"

    @classmethod
    def parse(cls, header: str | None) -> SignatureHeader:
        """`algorithm=..,keyVersion=..,signature=..`: fields in any order, names in any case,
        optional spaces around commas; unknown fields are ignored, a repeated field is not."""
        fields: dict[str, str] = {}
        for part in (header or "").split(","):
            name, sep, raw_value = part.strip().partition("=")
            key = name.strip().lower()
            if not sep or not key:
                raise ValueError("Signature header missing or malformed")
            if key in fields:
                raise ValueError(f"Signature header: {name.strip()} appears twice")
            fields[key] = raw_value.strip()
        algorithm, version, value = (fields.get(k) for k in ("algorithm", "keyversion", "signature"))
        if not algorithm or not version or not value:
            raise ValueError("Signature header must carry algorithm, keyVersion and signature")
        if not algorithm.isalnum() or not _KEY_VERSION.fullmatch(version):
            raise ValueError("Signature header: bad algorithm or keyVersion")
        if not _SIGNATURE_VALUE.fullmatch(value):
            raise ValueError("Signature header: signature is not base64")
        try:
            raw = base64.b64decode(unquote(value, errors="strict"), validate=True)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ValueError("Signature header: signature is not base64") from None
        return cls(algorithm.upper(), int(version), raw)


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
    *, public_key: rsa.RSAPublicKey, path: str, headers: Mapping[str, str], body: bytes, time_header: str = "Response-Time",
    expected_client_id: str | None = None,
) -> tuple[bool, str]:
    """Check a signed message; returns (ok, reason). Never raises on bad input.

    Header names are matched in any case (HTTP says they are case-insensitive)."""
    headers = {str(k).lower(): v for k, v in headers.items()}
    client_id = headers.get("client-id")
    timestamp = headers.get(time_header.lower())
    if not client_id or not timestamp:
        return False, f"missing Client-Id or {time_header} header"
    if expected_client_id is not None and client_id != expected_client_id:
        return False, "Client-Id does not match"
    try:
        header = SignatureHeader.parse(headers.get("signature"))
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


def load_private_key(pem: bytes, *, validated: bool = False) -> rsa.RSAPrivateKey:
    """`validated`: these exact bytes passed OpenSSL's full RSA key check before (the keystore's
    record, see terminal/keystore.py), so it is not run again; never for a key from elsewhere."""
    key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=validated)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != 2048:
        raise ValueError("signing key must be RSA 2048")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("public key must be RSA, 2048 bits or more")
    return key
