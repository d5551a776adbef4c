"""Secrets in the state directory, each a file of mode 0600 (acquirer-api.md §8).

The signing key is checked in full (OpenSSL's RSA key validation: p and q prime, the CRT
values consistent) once per key file's bytes, not at every start, where it was 60 ms of CPU
on the way to Charge. ``signing_keys.validated`` (0600, beside the key) holds the SHA-256 of
the key files that passed that check, or that this terminal generated; a key whose bytes
match is loaded without repeating it. Why that is safe:

- The check guards against a malformed key (OpenSSL may misbehave on one). Any change to the
  file's bytes, a corrupted block or a key put there by hand, changes its digest: that key is
  checked in full as before and refused as before (KEY_INVALID, re-provision).
- It never guarded against someone who can write the state directory (0700, the terminal's
  user): they can put a valid key of their own there, which passes the check; the record
  gives them nothing more. Writing the record is no easier than writing the key.
- A digest of a 2048-bit private key reveals nothing usable about it; the record is still a
  0600 secret file (the one permission rule) and goes with the keys at a factory reset.
- OpenSSL checks each RSA-CRT result against the public key before returning it (and
  recomputes without CRT when they differ), so even an inconsistent key could not leak its
  factors through a faulty signature.
- `pos-terminal diagnose` still checks the key in full every time.
"""
from __future__ import annotations

import hashlib
import logging
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
VALIDATED_KEYS = "signing_keys.validated"     # SHA-256 of key files checked in full (module docstring)
KEY_FILES = (SIGNING_KEY, NEXT_SIGNING_KEY, HMAC_KEY, CONTROL_TOKEN, VALIDATED_KEYS)
VALIDATED_KEEP = 4        # the current and next key, and the ones before a rotation
log = logging.getLogger("terminal.keystore")


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
            self.store_signing_key(key, name)
            return key
        checked = self._validated(pem)
        try:
            key = signing.load_private_key(pem, validated=checked)
        except ValueError as exc:
            raise FaultError(f"{self.path(name)} is not a usable key ({exc}): re-provision", code="KEY_INVALID") from None
        if not checked:
            self._note_validated(pem)
        return key

    def store_signing_key(self, key: rsa.RSAPrivateKey, name: str = SIGNING_KEY) -> None:
        pem = signing.private_key_pem(key)
        write_atomic(self.path(name), pem)
        self._note_validated(pem)      # generated here: a valid key

    def _validated(self, pem: bytes) -> bool:
        """These exact bytes passed the full check before (or were generated here)."""
        record = self._read_secret(VALIDATED_KEYS)
        return record is not None and hashlib.sha256(pem).hexdigest() in record.decode(errors="replace").split()

    def _note_validated(self, pem: bytes) -> None:
        digest = hashlib.sha256(pem).hexdigest()
        try:
            record = self._read_secret(VALIDATED_KEYS)
            kept = [d for d in (record or b"").decode(errors="replace").split() if d != digest]
            write_atomic(self.path(VALIDATED_KEYS), "\n".join([*kept, digest][-VALIDATED_KEEP:]).encode() + b"\n")
        except (OSError, FaultError) as exc:   # the next start checks the key in full again: slower, as safe
            log.warning("signing key check not recorded: %s", exc)

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
