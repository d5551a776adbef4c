"""Secrets in the state directory, each a file of mode 0600 (acquirer-api.md §8)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from . import signing
from .errors import FaultError
from .files import read_secret, write_atomic

SIGNING_KEY = "terminal_key.pem"
HMAC_KEY = "device_hmac.key"
CONTROL_TOKEN = "control_token"
NEXT_SIGNING_KEY = "terminal_key.next.pem"
KEY_FILES = (SIGNING_KEY, NEXT_SIGNING_KEY, HMAC_KEY, CONTROL_TOKEN)


class KeyStore:
    def __init__(self, *, state_dir: Path):
        self.state_dir = Path(state_dir)

    def path(self, name: str) -> Path:
        return self.state_dir / name

    def _read_secret(self, name: str) -> bytes | None:
        return read_secret(self.path(name))

    def signing_key(self, *, create: bool = False, name: str = SIGNING_KEY) -> rsa.RSAPrivateKey:
        """The terminal's signing key (or `name`: the next key during a rotation)."""
        pem = self._read_secret(name)
        if pem is None:
            if not create:
                raise FaultError(
                    f"no terminal signing key at {self.path(name)}: run `pos-terminal provision`",
                    code="KEY_MISSING",
                )
            key = signing.generate_private_key()
            write_atomic(self.path(name), signing.private_key_pem(key))
            return key
        try:
            return signing.load_private_key(pem)
        except ValueError as exc:
            raise FaultError(f"{self.path(name)} is not a usable key ({exc}): re-provision", code="KEY_INVALID") from None

    def store_signing_key(self, key: rsa.RSAPrivateKey, name: str = SIGNING_KEY) -> None:
        write_atomic(self.path(name), signing.private_key_pem(key))

    def hmac_key(self) -> bytes:
        key = self._read_secret(HMAC_KEY)
        if key is None:
            key = secrets.token_bytes(32)
            write_atomic(self.path(HMAC_KEY), key)
        return key

    def control_token(self, *, create: bool = True) -> str | None:
        token = self._read_secret(CONTROL_TOKEN)
        if token is None:
            if not create:
                return None
            token = secrets.token_hex(32).encode()
            write_atomic(self.path(CONTROL_TOKEN), token)
        return token.decode().strip()

    def remove(self, name: str) -> None:
        try:
            os.remove(self.path(name))
        except FileNotFoundError:
            pass
