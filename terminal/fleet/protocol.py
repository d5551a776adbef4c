"""What the terminal and the console agree on: topics, the signed command envelope, limits.

Topics (one subtree per terminal, so a broker ACL can confine each terminal to its own):

  pos/t/<id>/status     retained, QoS 1   the last status; the last will sets {"online": false}
  pos/t/<id>/heartbeat  QoS 0             small, every `fleet.heartbeat_s`
  pos/t/<id>/event      QoS 1             faults and counts (never a code, never an amount)
  pos/t/<id>/cmd        QoS 1             console -> terminal, signed envelopes
  pos/t/<id>/ack        QoS 1             terminal -> console, one per command (result or refusal)
  pos/t/<id>/logs       QoS 1             support-bundle chunks
  pos/enrol/<serial>/hello|reply          zero-touch enrolment (client id = serial)

A command is `{"cmd": {...}, "sig": base64(Ed25519(canonical(cmd))), "kid": ...}` where
canonical() is JSON with sorted keys and no spaces. The terminal checks the signature against
the operator key pinned in its state directory, that `cmd.terminal` is itself, that it is
fresh (issuedAt not in the future beyond the skew, expiresAt not passed) and that its id was
never seen (a replay), in that order, before anything is executed.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ROOT = "pos"
MAX_SKEW_S = 300                  # issuedAt may be this far in the future (clocks differ)
MAX_LIFETIME_S = 7 * 24 * 3600    # a command may wait this long for an offline terminal
CHUNK_BYTES = 64 * 1024
OPS = ("set_config", "rotate_key", "diagnose", "collect_logs", "close_batch", "lock", "unlock",
       "restart", "update", "factory_reset", "ping")
DESTRUCTIVE = frozenset({"factory_reset"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def valid_id(value: str) -> bool:
    """Terminal ids and serials become topic levels and broker user names: no '/', '+', '#'."""
    return bool(_ID.match(value or ""))


def topic(terminal_id: str, leaf: str) -> str:
    return f"{ROOT}/t/{terminal_id}/{leaf}"


def enrol_topic(serial: str, leaf: str) -> str:
    return f"{ROOT}/enrol/{serial}/{leaf}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import hashlib

    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the fleet operator key must be an Ed25519 public key")  # noqa: TRY004 - callers catch ValueError
    return key


def sign_command(key: Ed25519PrivateKey, *, command_id: str, terminal_id: str, op: str, args: dict,
                 operator: str, lifetime_s: int = 24 * 3600, issued_at: datetime | None = None) -> dict:
    """The console's side: a signed envelope for one terminal."""
    issued = issued_at or now_utc()
    cmd = {"id": command_id, "terminal": terminal_id, "op": op, "args": args, "operator": operator,
           "issuedAt": iso(issued), "expiresAt": iso(issued + timedelta(seconds=lifetime_s))}
    sig = base64.b64encode(key.sign(canonical(cmd))).decode()
    return {"cmd": cmd, "sig": sig, "kid": key_id(key.public_key())}


class Refused(Exception):
    """A command refused before execution; `reason` is one of the codes below."""

    def __init__(self, reason: str, message: str, command_id: str = ""):
        super().__init__(message)
        self.reason = reason          # MALFORMED, BAD_SIGNATURE, WRONG_TERMINAL, EXPIRED, NOT_YET_VALID, REPLAYED
        self.message = message
        self.command_id = command_id


def verify_command(payload: bytes, *, public_key: Ed25519PublicKey, terminal_id: str,
                   now: datetime | None = None) -> dict:
    """Signature, addressee and freshness (the replay check needs the terminal's memory: see
    terminal.fleet.commands.SeenCommands). Returns the command dict or raises Refused."""
    try:
        envelope = json.loads(payload)
        cmd, sig = envelope["cmd"], base64.b64decode(envelope["sig"], validate=True)
        if not isinstance(cmd, dict):
            raise TypeError("cmd")
    except (ValueError, KeyError, TypeError):
        raise Refused("MALFORMED", "not a command envelope {cmd, sig}") from None
    command_id = str(cmd.get("id", ""))[:64]
    try:
        public_key.verify(sig, canonical(cmd))
    except InvalidSignature:
        raise Refused("BAD_SIGNATURE", "signature does not verify with the pinned fleet operator key",
                      command_id) from None
    if cmd.get("terminal") != terminal_id:
        raise Refused("WRONG_TERMINAL", f"command is for {cmd.get('terminal')!r}, not {terminal_id!r}", command_id)
    if cmd.get("op") not in OPS or not isinstance(cmd.get("args"), dict) or not valid_id(command_id):
        raise Refused("MALFORMED", f"unknown op {cmd.get('op')!r} or bad id/args", command_id)
    now = now or now_utc()
    try:
        issued, expires = parse_iso(cmd["issuedAt"]), parse_iso(cmd["expiresAt"])
    except (KeyError, ValueError, TypeError):
        raise Refused("MALFORMED", "issuedAt/expiresAt missing or not ISO 8601", command_id) from None
    if issued - now > timedelta(seconds=MAX_SKEW_S):
        raise Refused("NOT_YET_VALID", "issued in the future: check this terminal's clock", command_id)
    if expires <= now or expires - issued > timedelta(seconds=MAX_LIFETIME_S + MAX_SKEW_S):
        raise Refused("EXPIRED", f"expired at {cmd['expiresAt']}: send a fresh command", command_id)
    return cmd
