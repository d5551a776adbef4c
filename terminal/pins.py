"""Manager, technician and owner PINs: scrypt hashes in the state directory, with lockouts.

Why it is shaped this way: a PIN is short, so the only defence is the number of guesses. Every
check therefore *reserves* its try before the (slow) hash is computed, under a lock that holds
across threads and processes (a threading lock plus `flock` on `<state dir>/.pins.lock`):

1. locked?  -> PinLocked, nothing hashed;
2. tries already reserved (wrong or still being checked) = the limit -> PinLocked, nothing hashed;
3. otherwise count the try (written to disk), release the lock, hash, compare;
4. right -> the count starts again; wrong -> WrongPin, or the lock when this was the last try.

So a burst of 30 concurrent guesses gets exactly `max_tries` of them checked, whatever the
interleaving, and a crash mid-check leaves the try counted (fail closed).

The owner PIN is an override for manager actions (void, refund): it lets them proceed while the
manager PIN is locked, and has its own, stricter limit (3 wrong tries lock it 15 minutes).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import BusinessError, FaultError, InputError
from .files import check_secret_mode, write_atomic

MAX_TRIES = 5
LOCK_S = 300
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
ROLES = ("manager", "technician", "owner")
OVERRIDE_ROLE = {"manager": "owner"}     # who may stand in for whom
LOCK_FILE = ".pins.lock"


@dataclass(frozen=True)
class PinPolicy:
    max_tries: int
    lock_s: int


POLICIES = {"manager": PinPolicy(MAX_TRIES, LOCK_S), "technician": PinPolicy(MAX_TRIES, LOCK_S),
            "owner": PinPolicy(3, 900)}


class PinLocked(BusinessError):
    code = "PIN_LOCKED"

    def __init__(self, message: str, *, role: str = "", retry_after_s: int = 0):
        super().__init__(message)
        self.role, self.retry_after_s = role, retry_after_s


class WrongPin(BusinessError):
    code = "WRONG_PIN"

    def __init__(self, message: str, *, role: str = "", tries_left: int = 0):
        super().__init__(message)
        self.role, self.tries_left = role, tries_left


def pin_file_name(role: str) -> str:
    return f"{role}_pin.json"


PIN_FILES = tuple(pin_file_name(r) for r in ROLES)


class PinVault:
    """check(role, pin) raises WrongPin / PinLocked or returns; authorize(...) adds the owner
    override; locked_for / tries_left tell a screen what to show. Safe to share between
    threads; several processes on one state directory share the same counts."""

    def __init__(self, *, state_dir: Path, clock: Callable[[], float] = time.time):
        self.state_dir = Path(state_dir)
        self._clock = clock
        self._thread_lock = threading.Lock()

    def _file(self, role: str) -> Path:
        if role not in ROLES:
            raise ValueError(role)
        return self.state_dir / pin_file_name(role)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)          # releases the flock

    def is_set(self, role: str) -> bool:
        return self._file(role).exists()

    def set_pin(self, role: str, pin: str) -> None:
        if not re.fullmatch(r"[0-9]{4,12}", pin or ""):
            raise InputError("a PIN is 4 to 12 digits", code="BAD_PIN")
        salt = os.urandom(16)
        digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
        with self._locked():
            self._save(role, {"salt": salt.hex(), "hash": digest.hex(), "failures": 0, "locked_until": 0})

    def _load(self, role: str) -> dict:
        path = self._file(role)
        try:
            if not check_secret_mode(path):
                raise FileNotFoundError
            record = json.loads(path.read_text())
            if not isinstance(record, dict):
                raise TypeError(path)
            bytes.fromhex(record["salt"])
            record["failures"] = int(record.get("failures", 0))
            record["locked_until"] = float(record.get("locked_until", 0))
            str(record["hash"])
            return record
        except FileNotFoundError:
            raise FaultError(f"no {role} PIN is set: set one with `pos-terminal provision`", code="PIN_NOT_SET") from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise FaultError(f"{path} is damaged: set the {role} PIN again", code="PIN_DAMAGED") from None

    def _save(self, role: str, record: dict) -> None:
        write_atomic(self._file(role), json.dumps(record).encode())

    def _lock_left(self, role: str, record: dict, now: float) -> float:
        # A clock set back must not stretch a lock past its length.
        return min(float(POLICIES[role].lock_s), max(0.0, record["locked_until"] - now))

    def locked_for(self, role: str) -> float:
        """Seconds left of a lockout (0 when not locked)."""
        return self._lock_left(role, self._load(role), self._clock())

    def tries_left(self, role: str) -> int:
        """Tries left before the lock (0 while locked)."""
        record = self._load(role)
        if self._lock_left(role, record, self._clock()) > 0:
            return 0
        return max(0, POLICIES[role].max_tries - record["failures"])

    def check(self, role: str, pin: str) -> None:
        """Raise WrongPin / PinLocked, or return quietly. The lock is decided before hashing;
        failures persist across restarts and are shared by every thread and process."""
        self._file(role)                                   # ValueError for an unknown role
        policy = POLICIES[role]
        with self._locked():
            record = self._load(role)
            left = self._lock_left(role, record, self._clock())
            if left > 0:
                raise PinLocked(f"{role} PIN locked after {policy.max_tries} wrong tries: try again in "
                                f"{math.ceil(left)} s", role=role, retry_after_s=math.ceil(left))
            if record["failures"] >= policy.max_tries:   # the last tries are being checked right now
                raise PinLocked(f"{role} PIN: {policy.max_tries} tries are being checked already: try again "
                                "in a moment", role=role, retry_after_s=1)
            record["failures"] += 1                       # reserved before hashing: counted even on a crash
            self._save(role, record)
            salt, expected = bytes.fromhex(record["salt"]), record["hash"]
        digest = hashlib.scrypt((pin or "").encode(), salt=salt, **_SCRYPT)
        right = hmac.compare_digest(digest.hex(), expected)
        with self._locked():
            record = self._load(role)
            now = self._clock()
            if right:
                if record["failures"] or record["locked_until"]:
                    record.update(failures=0, locked_until=0)
                    self._save(role, record)
                return
            left = self._lock_left(role, record, now)
            if left > 0:
                raise PinLocked(f"wrong {role} PIN; locked: try again in {math.ceil(left)} s", role=role,
                                retry_after_s=math.ceil(left))
            if record["failures"] >= policy.max_tries:
                record.update(failures=0, locked_until=now + policy.lock_s)
                self._save(role, record)
                raise PinLocked(f"wrong {role} PIN; locked for {policy.lock_s // 60} minutes after "
                                f"{policy.max_tries} wrong tries", role=role, retry_after_s=policy.lock_s)
            tries = policy.max_tries - record["failures"]
        raise WrongPin(f"wrong {role} PIN ({tries} tries left)", role=role, tries_left=tries)

    def override_role(self, role: str) -> str | None:
        """The role whose PIN may stand in for `role` (set on this terminal), else None."""
        other = OVERRIDE_ROLE.get(role)
        return other if other and self.is_set(other) else None

    def authorize(self, role: str, pin: str | None = None, *, override_pin: str | None = None) -> str:
        """An action needing `role`: checked with that role's `pin`, or with the override
        role's PIN (`override_pin`: the owner for a manager action, e.g. while the manager PIN
        is locked), each against its own tries. Exactly one of the two. Returns who
        authorised it ("manager" or "owner")."""
        if (pin is None) == (override_pin is None):
            raise InputError(f"give either the {role} PIN or the override PIN", code="BAD_PIN")
        if pin is not None:
            self.check(role, pin)
            return role
        assert override_pin is not None   # exactly one of the two (checked above)
        other = OVERRIDE_ROLE.get(role)
        if other is None:
            raise InputError(f"no override for the {role} PIN", code="NO_OVERRIDE")
        if not self.is_set(other):
            raise BusinessError(f"no {other} PIN is set on this terminal, so there is no override: wait for the "
                                f"{role} PIN lock to end, or set an {other} PIN with `pos-terminal provision`",
                                code="NO_OVERRIDE")
        self.check(other, override_pin)
        return other
