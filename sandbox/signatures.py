"""The sandbox's own implementation of message signing (acquirer-api.md §2).

Written from the contract, independently of the terminal, so that the sandbox is a second
implementation and not a mirror: agreement is proven by the published vectors
(tests/data/signing-vectors.json), which both sides must verify.

    content   = b"POST " + path + b"\\n" + client_id + b"." + time + b"." + body
    signature = RSASSA-PKCS1-v1_5 over SHA-256 of content, RSA 2048
    header    = "algorithm=RSA256,keyVersion=<n>,signature=<percent-encoded base64>"

Sent strictly in that form; accepted in the forms real peers use (fields in any order and
letter case, blanks after commas, the base64 percent-encoded or not; times with Z or an offset,
with or without fractions, or epoch milliseconds).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA256 = "RSA256"
_UNRESERVED = "-._~"   # RFC 3986 unreserved punctuation; everything else non-alphanumeric is escaped
_TIME = re.compile(
    r"""(?P<date>\d{4}-\d{2}-\d{2})T(?P<clock>\d{2}:\d{2}:\d{2})
        (?:[.,](?P<frac>\d+))?
        (?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)""", re.VERBOSE)


class SignatureError(ValueError):
    """A Signature header or time header that cannot be used; the message says which part."""


def signed_content(path: str, client_id: str, time_text: str, body: bytes) -> bytes:
    return b"".join((b"POST ", path.encode("utf-8"), b"\n", client_id.encode("utf-8"), b".",
                     time_text.encode("utf-8"), b".", body))


def rsa256_sign(key: rsa.RSAPrivateKey, content: bytes) -> bytes:
    return key.sign(content, padding.PKCS1v15(), hashes.SHA256())


def rsa256_valid(key: rsa.RSAPublicKey, content: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SignatureField:
    """The parsed Signature header."""

    algorithm: str
    key_version: int
    value: bytes

    def header(self) -> str:
        encoded = urllib.parse.quote(base64.b64encode(self.value).decode("ascii"), safe=_UNRESERVED)
        return f"algorithm={self.algorithm},keyVersion={self.key_version},signature={encoded}"


def read_signature_field(text: str | None) -> SignatureField:
    if not text or not text.strip():
        raise SignatureError("the Signature header is missing")
    seen: dict[str, str] = {}
    for item in text.split(","):
        key, equals, value = item.partition("=")
        key = key.strip().lower()
        if not equals or not key:
            raise SignatureError(f"the Signature header has a part without name=value: {item.strip()!r}")
        if key in seen:
            raise SignatureError(f"the Signature header names {key} twice")
        seen[key] = value.strip()
    missing = [k for k in ("algorithm", "keyversion", "signature") if not seen.get(k)]
    if missing:
        raise SignatureError("the Signature header lacks " + ", ".join(missing))
    if not seen["keyversion"].isdigit() or len(seen["keyversion"]) > 9 or not seen["keyversion"].isascii():
        raise SignatureError("keyVersion must be a positive whole number")
    try:
        raw = base64.b64decode(urllib.parse.unquote_to_bytes(seen["signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature is not base64") from None
    if not raw:
        raise SignatureError("the signature is empty")
    return SignatureField(seen["algorithm"].upper(), int(seen["keyversion"]), raw)


def read_time(text: str | None) -> dt.datetime:
    """Request-Time / Response-Time in any accepted form, as an aware UTC datetime."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and 12 <= len(text) <= 14:
        return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
    found = _TIME.fullmatch(text)
    if found is None:
        raise SignatureError(f"{text!r} is not an ISO 8601 time with Z or an offset, nor epoch milliseconds")
    zone = found["zone"]
    if zone in "Zz":
        tz = dt.UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "").ljust(4, "0")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    micros = int(((found["frac"] or "") + "000000")[:6])
    try:
        local = dt.datetime.strptime(f"{found['date']} {found['clock']}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise SignatureError(f"{text!r} is not a real date and time") from None
    return local.replace(microsecond=micros, tzinfo=tz).astimezone(dt.UTC)


def time_text(moment: dt.datetime | None = None) -> str:
    """What the sandbox sends: UTC, milliseconds, Z (2026-11-24T18:21:25.123Z)."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any letter case (Starlette's Headers already do this; dicts do not)."""
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is not None:
        return value
    wanted = name.lower()
    for key, item in headers.items():
        if key.lower() == wanted:
            return item
    return None


def sign_headers(*, key: rsa.RSAPrivateKey, key_version: int, path: str, client_id: str, body: bytes,
                 time_header: str, moment: dt.datetime | None = None) -> dict[str, str]:
    stamp = time_text(moment)
    field = SignatureField(RSA256, key_version, rsa256_sign(key, signed_content(path, client_id, stamp, body)))
    return {"Client-Id": client_id, time_header: stamp, "Signature": field.header()}


# -- keys ----------------------------------------------------------------------------------

def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    public = key if isinstance(key, rsa.RSAPublicKey) else key.public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_private_pem(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the sandbox's keys are RSA keys")  # noqa: TRY004 - a bad key file, not a bad call
    return key


def read_public_pem(pem: bytes) -> rsa.RSAPublicKey:
    """A terminal's public key; ValueError unless it is RSA of 2048 bits or more."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("public key must be RSA, 2048 bits or more")
    return key
