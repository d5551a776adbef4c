"""The fleet operator's Ed25519 key: every command is signed with it; terminals pin its public
half (fleet_operator.pub in their state dir, handed over at enrolment). Keep the private key on
the console host only (mode 0600); rotating it means re-pinning it on every terminal."""
from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .pki import _write

PRIVATE = "operator_key.pem"
PUBLIC = "operator_key.pub"


def operator_key(directory: Path) -> Ed25519PrivateKey:
    path = Path(directory) / PRIVATE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SystemExit(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    _write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()), 0o600)
    _write(Path(directory) / PUBLIC, public_pem(key), 0o644)
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
