"""The sandbox acquirer's own keys: response signing and JWE decryption (mode 0600, stable).

The encryption key id (kid) is derived from the public key, so it is stable across restarts
and changes only if the key file is replaced.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe, jwk

from .files import write_file_durably
from .signatures import new_rsa_key, private_pem, public_pem, read_private_pem

JWE_ALG, JWE_ENC = "RSA-OAEP-256", "A256GCM"


class CredentialError(ValueError):
    """The paymentMethodId JWE could not be accepted; the message says why (never the code)."""


@dataclass
class SandboxKeys:
    signing_key: rsa.RSAPrivateKey
    encryption_key: rsa.RSAPrivateKey
    encryption_kid: str
    signing_public_key_path: Path
    encryption_public_key_path: Path
    fingerprint_secret: bytes  # keys the hash of decrypted codes kept for idempotency

    @property
    def signing_public_pem(self) -> bytes:
        return public_pem(self.signing_key)

    @property
    def encryption_public_pem(self) -> bytes:
        return public_pem(self.encryption_key)

    def decrypt_credential(self, token: object) -> str:
        """Decrypt a compact JWE, checking alg, enc and kid; returns the plaintext code."""
        if not isinstance(token, str) or token.count(".") != 4:
            raise CredentialError("paymentMethodId is not a JWE compact serialisation")
        try:
            envelope = jwe.JWE()
            envelope.deserialize(token)
            header = json.loads(envelope.objects.get("protected") or "{}")
        except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
            raise CredentialError("paymentMethodId: JWE header is not readable") from None
        if header.get("alg") != JWE_ALG or header.get("enc") != JWE_ENC:
            raise CredentialError(f"paymentMethodId: JWE must use alg {JWE_ALG} and enc {JWE_ENC}")
        if header.get("kid") != self.encryption_kid:
            raise CredentialError("paymentMethodId: JWE kid is not the acquirer encryption key id")
        try:
            envelope.decrypt(self._jwk)       # the envelope parsed above: parsed once
            return envelope.payload.decode("ascii")
        except Exception:  # noqa: BLE001 - boundary: any failure is reported, not raised
            raise CredentialError("paymentMethodId: JWE does not decrypt with the acquirer key") from None

    @property
    def _jwk(self) -> jwk.JWK:
        cached = getattr(self, "_jwk_cache", None)
        if cached is None:
            cached = jwk.JWK.from_pem(private_pem(self.encryption_key))
            self._jwk_cache = cached
        return cached


def ensure_keys(state_dir: Path) -> SandboxKeys:
    signing = _load_or_create(state_dir / "signing-key.pem")
    encryption = _load_or_create(state_dir / "encryption-key.pem")
    secret_path = state_dir / "fingerprint.key"
    if not secret_path.exists():
        import secrets

        write_file_durably(secret_path, secrets.token_bytes(32))
    der = encryption.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = "sandbox-enc-" + hashlib.sha256(der).hexdigest()[:16]
    sign_pub, enc_pub = state_dir / "signing-public.pem", state_dir / "encryption-public.pem"
    for path, key in ((sign_pub, signing), (enc_pub, encryption)):
        if not path.exists() or path.read_bytes() != public_pem(key):
            write_file_durably(path, public_pem(key), mode=0o644)
    return SandboxKeys(signing, encryption, kid, sign_pub, enc_pub, secret_path.read_bytes())


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        return read_private_pem(path.read_bytes())
    key = new_rsa_key()
    write_file_durably(path, private_pem(key))
    return key
