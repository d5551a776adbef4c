"""Key rotation (acquirer-api.md rotateKey, §2 keyVersion, §8): a resumable state machine that
never deletes a key the acquirer may accept.

The acquirer accepts the current key version and, for 24 h after a rotation, the previous one.
A rotation whose answer was lost may have been taken by the acquirer: from then on the old key
works for 24 h only, and the NEW key is the terminal's lifeline. So the new key is kept until
the acquirer verifiably answers about it, and the old key is destroyed only after the acquirer
confirmed the new one. Stages (rotation.json in the state directory, each durable before the
next step; `terminal_key.next.pem` holds the new key, mode 0600):

  pending    new key written, rotation.json {stage: pending, newKeyVersion, oldKeyVersion,
             startedAt, attempts, lastError}. Advancing sends rotateKey signed with the old key:
               S                        → confirmed
               KEY_NOT_FOUND/INVALID_SIGNATURE (the old key is no longer accepted: typically the
                                          24 h after a lost answer have passed) → the same
                                          request signed with the NEW key: S → confirmed;
                                          refused too → neither key works: a fault, both kept
               another verified refusal → the new key is discarded only if a request signed
                                          with it is verifiably refused as well
               no verified answer       → stays pending (exit 4); both keys kept
  confirmed  the acquirer accepts the new key (recorded before anything else changes)
             → finished locally, without the network: key_version rewritten in the TOML
               (atomically), next key renamed over terminal_key.pem (the old key is gone, as
               the contract wants), rotation.json removed. `finish_confirmed_rotation` does
               this at every start.

Only one rotation runs at a time per state directory (an flock on rotation.lock): the running
terminal's keeper (terminal/rotation_keeper.py) and a CLI run never interleave.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import signing
from .acquirer import ROTATE_KEY, AcquirerClient, AcquirerResult, Credentials
from .config import Config
from .crashpoints import crashpoint
from .errors import FaultError, InputError, UnknownResultError
from .files import fsync_dir, write_atomic
from .identity import record_key_version
from .keystore import SIGNING_KEY, KeyStore
from .link_checks import ResponseClock, explain_failure
from .records import iso_utc, now_iso

RECORD = "rotation.json"
NEXT_KEY = "terminal_key.next.pem"
LOCK = "rotation.lock"
PREVIOUS_KEY_GRACE = timedelta(hours=24)       # acquirer-api.md §2: previous version accepted 24 h
KEY_REFUSALS = frozenset({"KEY_NOT_FOUND", "INVALID_SIGNATURE"})
_KEY_VERSION = re.compile(r"^(\s*key_version\s*=\s*)(\d+)(.*)$")
Progress = Callable[[str], None]


@dataclass
class RotationOutcome:
    old_version: int
    new_version: int
    resumed: bool


def load_record(state_dir: Path) -> dict | None:
    """The rotation in progress (None when there is none)."""
    try:
        return json.loads((Path(state_dir) / RECORD).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise FaultError(f"{Path(state_dir) / RECORD} is damaged: keep {NEXT_KEY} and terminal_key.pem, and run "
                         f"`pos-terminal diagnose` (never factory-reset a terminal with a rotation under way)",
                         code="ROTATION_RECORD") from None


def _save_record(state_dir: Path, record: dict) -> None:
    write_atomic(state_dir / RECORD, json.dumps(record, sort_keys=True).encode())


def describe(state_dir: Path, *, current_version: int) -> tuple[bool, str, str]:
    """The true key state for `diagnose`: (healthy, what, fix)."""
    record = load_record(state_dir)
    if not record:
        return True, f"terminal key version {current_version}", ""
    new, old = record.get("newKeyVersion"), record.get("oldKeyVersion", current_version)
    if record.get("stage") == "confirmed":
        return False, (f"the acquirer confirmed key version {new}; the terminal has not switched to it yet"), (
            "start the terminal or run `pos-terminal rotate-key`: it finishes locally, without the network")
    started = record.get("startedAt", "")
    what = (f"a key rotation {old} -> {new} is unconfirmed (started {started or 'at an unknown time'}, "
            f"{record.get('attempts', 0)} attempt(s){'; last: ' + record['lastError'] if record.get('lastError') else ''})"
            f"; both keys are kept. Version {old} signs meanwhile")
    try:
        deadline = datetime.fromisoformat(started) + PREVIOUS_KEY_GRACE
    except ValueError:
        deadline = None
    if deadline is not None:
        if datetime.now(UTC) < deadline:
            what += (f"; if the acquirer took version {new} at the first attempt, it accepts version {old} only until "
                     f"{iso_utc(deadline)}")
        else:
            what += (f"; more than 24 h have passed, so the acquirer may accept only version {new} now (sales may be "
                     f"refused KEY_NOT_FOUND until the rotation finishes)")
    return False, what, ("run `pos-terminal rotate-key` (the running terminal also retries by itself); it tries "
                         "both keys and never deletes one the acquirer may accept. Do NOT factory-reset")


def set_key_version(config_path: Path, version: int) -> None:
    """Rewrite acquirer.key_version in the TOML, keeping every other line (and comment), atomically."""
    config_path = Path(config_path)
    lines = config_path.read_text(encoding="utf-8").splitlines(keepends=True)
    section, done = None, False
    for i, line in enumerate(lines):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            if section == "acquirer" and not done:
                lines.insert(i, f"key_version = {version}\n")
                done = True
                break
            section = header.group(1).strip()
            continue
        match = _KEY_VERSION.match(line.rstrip("\n"))
        if section == "acquirer" and match:
            lines[i] = f"{match.group(1)}{version}{match.group(3)}\n"
            done = True
            break
    if not done:
        if section != "acquirer":
            lines.append("\n[acquirer]\n")
        lines.append(f"key_version = {version}\n")
    text = "".join(lines)
    import tomllib

    from .config import parse_config

    if parse_config(tomllib.loads(text), source=config_path).acquirer.key_version != version:
        raise FaultError(f"could not update acquirer.key_version in {config_path}: edit it by hand to {version}")
    mode = config_path.stat().st_mode & 0o777
    write_atomic(config_path, text.encode("utf-8"), mode=mode)


def finish_confirmed_rotation(config: Config, *, state_dir: Path | None = None) -> Config:
    """Finish a rotation the acquirer confirmed but a crash interrupted (local only). Returns the
    configuration with the new key_version (unchanged when there was nothing to finish)."""
    state_dir = Path(state_dir or config.state_dir())
    record = load_record(state_dir)
    if not record or record.get("stage") != "confirmed":
        return config
    version = int(record["newKeyVersion"])
    if config.source is not None and config.acquirer.key_version != version:
        set_key_version(config.source, version)
    record_key_version(state_dir, version)     # the state directory's identity stamp follows
    crashpoint("rotate_after_config")
    next_key = state_dir / NEXT_KEY
    if next_key.exists():
        os.replace(next_key, state_dir / SIGNING_KEY)      # the old key is destroyed here, not before
        fsync_dir(state_dir)
    crashpoint("rotate_after_swap")
    (state_dir / RECORD).unlink(missing_ok=True)
    return config.model_copy(update={"acquirer": config.acquirer.model_copy(update={"key_version": version})})


@contextlib.contextmanager
def rotation_lock(state_dir: Path, *, wait: bool = True) -> Iterator[None]:
    """One rotation at a time per state directory (the running terminal and a CLI run)."""
    fd = os.open(Path(state_dir) / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise UnknownResultError("another key rotation is running on this terminal: wait for it, then run "
                                     "`pos-terminal diagnose`", code="ROTATION_BUSY") from None
        yield
    finally:
        os.close(fd)


class KeyRotation:
    """Starts or advances the rotation of one terminal's signing key (see the module docstring)."""

    def __init__(self, config: Config, *, client: AcquirerClient, progress: Progress = lambda _m: None,
                 on_rotated: Callable[[Credentials], None] | None = None):
        if config.acquirer.embedded:
            raise InputError("the demo profile (acquirer.base_url = \"embedded\") has no key to rotate: rotate-key "
                             "is for a provisioned terminal (--config <its terminal.toml>)", code="NOT_PROVISIONED")
        if config.source is None:
            raise InputError("rotate-key needs the terminal's configuration file: pass --config PATH")
        self.config = config
        self.client = client
        self.say = progress
        self.on_rotated = on_rotated
        self.state_dir = config.state_dir()
        self.keystore = KeyStore(state_dir=self.state_dir)

    # -- entry points -------------------------------------------------------------------------
    def run(self) -> RotationOutcome:
        """`rotate-key`: finish the rotation under way, else start a new one."""
        with rotation_lock(self.state_dir):
            outcome = self._run(start_new=True)
        assert outcome is not None, "with start_new, _run finishes, resumes or starts a rotation"
        return outcome

    def resume(self) -> RotationOutcome | None:
        """Finish a rotation under way (the terminal at start, and on KEY_NOT_FOUND); None if none."""
        with rotation_lock(self.state_dir):
            return self._run(start_new=False)

    # -- the machine --------------------------------------------------------------------------
    def _run(self, *, start_new: bool) -> RotationOutcome | None:
        record = load_record(self.state_dir)
        if record and record.get("stage") == "confirmed":
            return self._finish(record, resumed=True)
        next_path = self.state_dir / NEXT_KEY
        if record and record.get("stage") == "pending" and next_path.exists():
            self.say(f"resuming the unconfirmed rotation to key version {record['newKeyVersion']} (same new key; "
                     f"attempt {int(record.get('attempts', 0)) + 1})")
            return self._advance(record, resumed=True)
        if not start_new:
            if record:   # a pending record without its key: the key was never written (crash before it)
                (self.state_dir / RECORD).unlink(missing_ok=True)
            return None
        old_version = self.config.acquirer.key_version
        new_version = old_version + 1
        if next_path.exists():
            # A key written before its record (a crash between the two): never sent, safe to replace.
            next_path.unlink()
        self.keystore.store_signing_key(signing.generate_private_key(), NEXT_KEY)
        crashpoint("rotate_before_record")
        record = {"stage": "pending", "newKeyVersion": new_version, "oldKeyVersion": old_version,
                  "startedAt": now_iso(), "attempts": 0}
        _save_record(self.state_dir, record)
        crashpoint("rotate_after_next_key")
        self.say(f"[1/3] new RSA-2048 key generated ({next_path}, mode 0600); the current key stays in use")
        return self._advance(record, resumed=False)

    def _credentials(self, record: dict) -> tuple[Credentials, Credentials]:
        cid = self.config.acquirer.client_id
        old = Credentials(cid, int(record["oldKeyVersion"]), self.keystore.signing_key())
        new = Credentials(cid, int(record["newKeyVersion"]), self.keystore.signing_key(name=NEXT_KEY))
        return old, new

    def _send(self, record: dict, new: Credentials, signer: Credentials) -> AcquirerResult:
        body = {"newPublicKey": signing.public_key_pem(new.private_key).decode(),
                "newKeyVersion": str(new.key_version)}
        return self.client.call(ROTATE_KEY, body, credentials=signer)

    def _advance(self, record: dict, *, resumed: bool) -> RotationOutcome:
        old, new = self._credentials(record)
        record["attempts"] = int(record.get("attempts", 0)) + 1
        _save_record(self.state_dir, record)
        clock = ResponseClock().attach(self.client.session)
        self.say(f"[2/3] asking the acquirer to accept key version {new.key_version} "
                 f"(signed with version {old.key_version})")
        result = self._send(record, new, old)
        crashpoint("rotate_after_response")
        if result.ok:
            return self._confirm(record, resumed)
        if result.failed and result.code in KEY_REFUSALS:
            self.say(f"the acquirer no longer accepts key version {old.key_version} ({result.code}): asking with "
                     f"the new key version {new.key_version}, which it may have taken at an earlier attempt")
            probe = self._send(record, new, new)
            crashpoint("rotate_after_probe")
            if probe.ok:
                return self._confirm(record, resumed)
            if probe.failed and probe.code in KEY_REFUSALS:
                self._note(record, f"neither key version accepted ({result.code}, {probe.code})")
                raise FaultError(
                    f"the acquirer accepts neither key version {old.key_version} nor {new.key_version}: both keys "
                    f"are kept on this device. Call the acquirer's support with client id "
                    f"{self.config.acquirer.client_id}; do NOT factory-reset (that drops the open batch)",
                    code="KEY_NOT_FOUND")
            result = probe
        elif result.failed:
            # A verified refusal signed with an accepted key. The new key goes only if the acquirer
            # verifiably refuses it too (an earlier attempt may have been taken).
            refusal = result
            probe = self._send(record, new, new)
            crashpoint("rotate_after_probe")
            if probe.ok:
                return self._confirm(record, resumed)
            if probe.failed and probe.code in KEY_REFUSALS:
                (self.state_dir / NEXT_KEY).unlink(missing_ok=True)
                (self.state_dir / RECORD).unlink(missing_ok=True)
                raise FaultError(f"the acquirer refused the new key: {self._why(refusal)}; the current key (version "
                                 f"{old.key_version}) stays in use", code=refusal.code)
            result = probe
        if clock.off:
            self._note(record, "clock")
            raise FaultError(clock.problem(), code="CLOCK")
        why = self._why(result)
        self._note(record, why)
        raise UnknownResultError(f"key rotation not confirmed ({why}); both keys are kept and version "
                                 f"{old.key_version} signs meanwhile: run `pos-terminal rotate-key` again to finish "
                                 f"(a running terminal retries by itself)", code="ROTATION_UNCONFIRMED")

    def _why(self, result: AcquirerResult) -> str:
        a = self.config.acquirer
        return explain_failure(result, base_url=a.base_url,
                               ca_bundle=str(self.config.resolve(a.ca_bundle)) if a.ca_bundle else "")

    def _note(self, record: dict, why: str) -> None:
        record["lastError"] = why[:200]
        _save_record(self.state_dir, record)

    def _confirm(self, record: dict, resumed: bool) -> RotationOutcome:
        record = {**record, "stage": "confirmed", "confirmedAt": now_iso()}
        _save_record(self.state_dir, record)
        crashpoint("rotate_after_confirmed")
        return self._finish(record, resumed=resumed)

    def _finish(self, record: dict, *, resumed: bool) -> RotationOutcome:
        new_key = self.keystore.signing_key(name=NEXT_KEY) if (self.state_dir / NEXT_KEY).exists() else None
        self.config = finish_confirmed_rotation(self.config, state_dir=self.state_dir)
        version = int(record["newKeyVersion"])
        self.say(f"[3/3] key version {version} in use: {self.config.source} updated, the old key destroyed")
        if self.on_rotated is not None:
            key = new_key or self.keystore.signing_key()
            self.on_rotated(Credentials(self.config.acquirer.client_id, version, key))
        return RotationOutcome(int(record.get("oldKeyVersion", version - 1)), version, resumed)


def rotate_key(config: Config, *, client: AcquirerClient, progress: Progress = lambda _m: None,
               on_rotated: Callable[[Credentials], None] | None = None) -> RotationOutcome:
    """Rotate the terminal's signing key with the acquirer (see the module docstring)."""
    return KeyRotation(config, client=client, progress=progress, on_rotated=on_rotated).run()
