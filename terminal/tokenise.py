"""The payment credential as a JWE (acquirer-api.md §3): RSA-OAEP-256 + A256GCM, compact form.

Built with jwcrypto, never by hand. The plaintext is the normalised code's digits.
"""
from __future__ import annotations

import json

from jwcrypto import jwe, jwk

from .codes import PaymentCode

ALG, ENC = "RSA-OAEP-256", "A256GCM"


class CredentialEncrypter:
    """Encrypts payment codes to the acquirer's encryption key (kid from registration)."""

    def __init__(self, *, public_key_pem: bytes, kid: str):
        self._key = jwk.JWK.from_pem(public_key_pem)
        if self._key.get("kty") != "RSA":
            raise ValueError("acquirer encryption key must be RSA")
        self._header = json.dumps({"alg": ALG, "enc": ENC, "kid": kid})

    def encrypt(self, code: PaymentCode) -> str:
        token = jwe.JWE(code.reveal().encode("ascii"), protected=self._header)
        token.add_recipient(self._key)
        return token.serialize(compact=True)
