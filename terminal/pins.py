"""Manager and technician PINs: scrypt hashes in the state directory; 5 wrong tries lock 5 minutes."""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import time
from pathlib import Path
from typing import Callable

from .errors import BusinessError, FaultError, InputError
from .files import write_atomic

MAX_TRIES = 5
LOCK_S = 300
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
ROLES = ("manager", "technician")


class PinLocked(BusinessError):
    code = "PIN_LOCKED"


class WrongPin(BusinessError):
    code = "WRONG_PIN"


class PinVault:
    def __init__(self, *, state_dir: Path, clock: Callable[[], float] = time.time):
        self.state_dir = Path(state_dir)
        self._clock = clock

    def _file(self, role: str) -> Path:
        if role not in ROLES:
            raise ValueError(role)
        return self.state_dir / f"{role}_pin.json"

    def is_set(self, role: str) -> bool:
        return self._file(role).exists()

    def set_pin(self, role: str, pin: str) -> None:
        if not re.fullmatch(r"[0-9]{4,12}", pin or ""):
            raise InputError("a PIN is 4 to 12 digits", code="BAD_PIN")
        salt = os.urandom(16)
        digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
        self._save(role, {"salt": salt.hex(), "hash": digest.hex(), "failures": 0, "locked_until": 0})

    def _load(self, role: str) -> dict:
        try:
            return json.loads(self._file(role).read_text())
        except FileNotFoundError:
            raise FaultError(f"no {role} PIN is set: set one with `pos-terminal provision`", code="PIN_NOT_SET") from None
        except ValueError:
            raise FaultError(f"{self._file(role)} is damaged: set the {role} PIN again", code="PIN_DAMAGED") from None

    def _save(self, role: str, record: dict) -> None:
        write_atomic(self._file(role), json.dumps(record).encode())

    def locked_for(self, role: str) -> float:
        """Seconds left of a lockout (0 when not locked)."""
        return max(0.0, self._load(role)["locked_until"] - self._clock())

    def check(self, role: str, pin: str) -> None:
        """Raise WrongPin / PinLocked, or return quietly. Failures persist across restarts."""
        record = self._load(role)
        left = record["locked_until"] - self._clock()
        if left > 0:
            raise PinLocked(f"{role} PIN locked after {MAX_TRIES} wrong tries: try again in {math.ceil(left)} s")
        digest = hashlib.scrypt((pin or "").encode(), salt=bytes.fromhex(record["salt"]), **_SCRYPT)
        if hmac.compare_digest(digest.hex(), record["hash"]):
            if record["failures"]:
                record.update(failures=0, locked_until=0)
                self._save(role, record)
            return
        record["failures"] += 1
        if record["failures"] >= MAX_TRIES:
            record.update(failures=0, locked_until=self._clock() + LOCK_S)
            self._save(role, record)
            raise PinLocked(f"wrong {role} PIN; locked for {LOCK_S // 60} minutes after {MAX_TRIES} wrong tries")
        self._save(role, record)
        raise WrongPin(f"wrong {role} PIN ({MAX_TRIES - record['failures']} tries left)")
