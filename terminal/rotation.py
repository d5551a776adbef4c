"""Key rotation (acquirer-api.md rotateKey, §8): a new RSA-2048 key replaces the signing key.

The old key stays in use until the acquirer answers S. Every step is durable, so a power cut
at any instant leaves a state the next run (or the next start) finishes:

  pending    terminal_key.next.pem written, rotation.json {stage: pending, newKeyVersion}
             → running rotate-key again resends the same key and version (the acquirer answers
               the same S for a repeat); the old key is still valid (current, or previous for 24 h)
  confirmed  the acquirer said S (recorded before anything else changes)
             → finished locally, without the network: key_version rewritten in the TOML
               (atomically), next key renamed over terminal_key.pem (the old key is gone),
               rotation.json removed. `finish_confirmed_rotation` does this at every start.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import signing
from .acquirer import ROTATE_KEY, AcquirerClient, Credentials
from .config import Config
from .crashpoints import crashpoint
from .errors import FaultError, InputError, UnknownResultError
from .files import write_atomic
from .keystore import SIGNING_KEY, KeyStore
from .link_checks import ResponseClock, explain_failure

RECORD = "rotation.json"
NEXT_KEY = "terminal_key.next.pem"
_KEY_VERSION = re.compile(r"^(\s*key_version\s*=\s*)(\d+)(.*)$")


@dataclass
class RotationOutcome:
    old_version: int
    new_version: int
    resumed: bool


def _load_record(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / RECORD).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise FaultError(f"{state_dir / RECORD} is damaged: check the key files with `pos-terminal diagnose`",
                         code="ROTATION_RECORD") from None


def _save_record(state_dir: Path, record: dict) -> None:
    write_atomic(state_dir / RECORD, json.dumps(record, sort_keys=True).encode())


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
    record = _load_record(state_dir)
    if not record or record.get("stage") != "confirmed":
        return config
    version = int(record["newKeyVersion"])
    if config.source is not None and config.acquirer.key_version != version:
        set_key_version(config.source, version)
    crashpoint("rotate_after_config")
    next_key = state_dir / NEXT_KEY
    if next_key.exists():
        os.replace(next_key, state_dir / SIGNING_KEY)
        _fsync_dir(state_dir)
    (state_dir / RECORD).unlink(missing_ok=True)
    return config.model_copy(update={"acquirer": config.acquirer.model_copy(update={"key_version": version})})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate_key(config: Config, *, client: AcquirerClient, progress: Callable[[str], None] = lambda _m: None,
               on_rotated: Callable[[Credentials], None] | None = None) -> RotationOutcome:
    """Rotate the terminal's signing key with the acquirer (see the module docstring)."""
    if config.acquirer.embedded:
        raise InputError("the demo profile (acquirer.base_url = \"embedded\") has no key to rotate: rotate-key "
                         "is for a provisioned terminal (--config <its terminal.toml>)", code="NOT_PROVISIONED")
    if config.source is None:
        raise InputError("rotate-key needs the terminal's configuration file: pass --config PATH")
    state_dir = config.state_dir()
    keystore = KeyStore(state_dir=state_dir)
    config = finish_confirmed_rotation(config, state_dir=state_dir)   # an earlier run got as far as S
    old_version = config.acquirer.key_version
    record = _load_record(state_dir)
    next_path = state_dir / NEXT_KEY
    resumed = bool(record and record.get("stage") == "pending" and next_path.exists())
    if resumed:
        new_version = int(record["newKeyVersion"])
        new_key = keystore.signing_key(name=NEXT_KEY)
        progress(f"resuming the unconfirmed rotation to key version {new_version} (same new key)")
    else:
        new_version = old_version + 1
        new_key = signing.generate_private_key()
        keystore.store_signing_key(new_key, NEXT_KEY)
        _save_record(state_dir, {"stage": "pending", "newKeyVersion": new_version, "oldKeyVersion": old_version})
        progress(f"[1/3] new RSA-2048 key generated ({next_path}, mode 0600); the current key stays in use")
        crashpoint("rotate_after_next_key")
    current = Credentials(config.acquirer.client_id, old_version, keystore.signing_key())
    clock = ResponseClock().attach(client.session)
    progress(f"[2/3] asking the acquirer to accept key version {new_version} (signed with version {old_version})")
    result = client.call(ROTATE_KEY, {"newPublicKey": signing.public_key_pem(new_key).decode(),
                                      "newKeyVersion": str(new_version)}, credentials=current)
    crashpoint("rotate_after_response")
    if not result.ok:
        if clock.off:
            raise FaultError(clock.problem(), code="CLOCK")
        why = explain_failure(result, base_url=config.acquirer.base_url,
                              ca_bundle=str(config.resolve(config.acquirer.ca_bundle)) if config.acquirer.ca_bundle else "")
        if result.failed:    # a verified, final refusal: the new key is useless, the old one stays
            next_path.unlink(missing_ok=True)
            (state_dir / RECORD).unlink(missing_ok=True)
            raise FaultError(f"the acquirer refused the new key: {why}", code=result.code)
        raise UnknownResultError(f"key rotation not confirmed ({why}); the current key stays in use: run "
                                 f"`pos-terminal rotate-key` again to finish", code="ROTATION_UNCONFIRMED")
    _save_record(state_dir, {"stage": "confirmed", "newKeyVersion": new_version, "oldKeyVersion": old_version})
    crashpoint("rotate_after_confirmed")
    finish_confirmed_rotation(config, state_dir=state_dir)
    progress(f"[3/3] key version {new_version} in use: {config.source} updated, the old key destroyed")
    if on_rotated is not None:
        on_rotated(Credentials(config.acquirer.client_id, new_version, new_key))
    return RotationOutcome(old_version, new_version, resumed)


def client_for(config: Config) -> AcquirerClient:
    """An acquirer client for a provisioned configuration (the CLI's rotate-key and diagnose)."""
    from .wiring import configured_endpoint

    endpoint = configured_endpoint(config)
    try:
        acquirer_key = signing.load_public_key(Path(endpoint.signing_public_key).read_bytes())
    except (OSError, ValueError) as exc:
        raise FaultError(f"acquirer signing key {endpoint.signing_public_key} cannot be read ({exc}): re-provision "
                         f"or fix acquirer.signing_public_key", code="KEY") from None
    a = config.acquirer
    return AcquirerClient(base_url=endpoint.base_url, credentials=lambda: None, acquirer_public_key=acquirer_key,
                          ca_bundle=endpoint.ca_bundle or None, connect_timeout_s=a.connect_timeout_s,
                          pay_read_timeout_s=a.read_timeout_s, read_timeout_s=a.other_read_timeout_s)

