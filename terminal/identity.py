"""The identity of a state directory: which acquirer, client and device its journal belongs to.

A journal's payments exist at one acquirer only. Resolving them against another (the demo
profile's embedded sandbox, a test client id) settles real captures as "not charged" and
journals fake approvals among real ones. So provisioning stamps the journal (table `meta`,
key `identity`) with the acquirer identity (base URL, client id, terminal id, key version), the
configuration it was provisioned with, and a hash of the device's machine id. Every start checks
the configuration against the stamp and refuses a mismatch (exit 3, naming the configuration
that matches); a stamp made on another machine means the state directory was cloned (an SD
card copied after provisioning) and is refused until the device is provisioned again, before
anything is sent or written, so the open batch stays as the original device left it.

A production journal that predates the stamp (or was set up without `provision`) is stamped at
its first start with a provisioned-style configuration. Key rotation changes the key version
through `record_key_version`, the one function the rotation code calls.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import FaultError

if TYPE_CHECKING:
    from .config import Config
    from .journal import Journal

MACHINE_ID_ENV = "POS_TERMINAL_MACHINE_ID"          # tests and containers: the machine id to use
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
SYSTEM_CONFIG = Path("/etc/pos-terminal/terminal.toml")
JOURNAL_FILE = "journal.sqlite"
STAMP_KEY = "identity"


@dataclass(frozen=True)
class Identity:
    base_url: str
    client_id: str
    terminal_id: str
    key_version: int
    config_path: str = ""
    machine: str = ""         # sha256 of the machine id ("" when the device has none)

    def names(self) -> str:
        return f"acquirer {self.base_url}, client {self.client_id}, terminal {self.terminal_id}"


def machine_id(override: str | None = None) -> str:
    """A hash of this device's machine id (never the id itself); "" when there is none."""
    raw = override if override is not None else os.environ.get(MACHINE_ID_ENV)
    if raw is None:
        for path in MACHINE_ID_FILES:
            try:
                raw = path.read_text().strip()
            except OSError:
                continue
            if raw:
                break
    return hashlib.sha256(raw.encode()).hexdigest()[:32] if raw else ""


def identity_of(config: Config, *, config_path: Path | str | None = None, machine: str | None = None) -> Identity:
    a = config.acquirer
    path = config_path if config_path is not None else (config.source or "")
    return Identity(a.base_url, a.client_id, a.terminal_id, a.key_version, str(path),
                    machine_id() if machine is None else machine)


# -- the stamp in the journal ------------------------------------------------------------------

def read_stamp(state_dir: Path) -> Identity | None:
    """The stamp of a state directory's journal, read only (None: no journal or no stamp)."""
    path = Path(state_dir) / JOURNAL_FILE
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("SELECT value FROM meta WHERE key=?", (STAMP_KEY,)).fetchone()
        finally:
            db.close()
    except sqlite3.OperationalError:      # a journal from before the meta table
        return None
    except sqlite3.DatabaseError as exc:
        raise FaultError(f"journal {path} cannot be read ({exc}): run `pos-terminal diagnose`", code="JOURNAL") from None
    return _from_json(row[0]) if row else None


def _from_json(text: str) -> Identity:
    data = json.loads(text)
    return Identity(str(data["base_url"]), str(data["client_id"]), str(data["terminal_id"]),
                    int(data["key_version"]), str(data.get("config_path", "")), str(data.get("machine", "")))


def write_stamp(journal: Journal, identity: Identity) -> None:
    journal.set_meta(STAMP_KEY, json.dumps(asdict(identity), sort_keys=True))


def stamp_state_dir(state_dir: Path, identity: Identity) -> None:
    """Provisioning: (re)stamp the journal of `state_dir` (created if absent)."""
    from .journal import Journal

    journal = Journal(Path(state_dir) / JOURNAL_FILE)
    try:
        write_stamp(journal, identity)
    finally:
        journal.close()


def record_key_version(state_dir: Path, version: int) -> None:
    """A legitimate key rotation moved to `version`: the stamp follows (no-op without a stamp)."""
    stamp = read_stamp(state_dir)
    if stamp is None or stamp.key_version == version:
        return
    stamp_state_dir(state_dir, Identity(stamp.base_url, stamp.client_id, stamp.terminal_id, version,
                                        stamp.config_path, stamp.machine))


# -- the checks ------------------------------------------------------------------------------

def _matching_config(stamp: Identity) -> str:
    if stamp.config_path and Path(stamp.config_path).is_file():
        return stamp.config_path
    if SYSTEM_CONFIG.is_file():
        return str(SYSTEM_CONFIG)
    return stamp.config_path or str(SYSTEM_CONFIG)


def check_identity(config: Config, state_dir: Path, *, machine: str | None = None) -> Identity | None:
    """Refuse (FaultError, exit 3) a configuration that is not the one this state directory
    belongs to, or a state directory cloned from another device. Returns the stamp (None when
    the directory has none yet)."""
    stamp = read_stamp(state_dir)
    if stamp is None:
        return None
    if stamp.base_url == "embedded":
        if not config.acquirer.embedded:
            raise FaultError(f"state directory {state_dir} holds the demo's journal (embedded sandbox acquirer): "
                             f"use another state directory (storage.state_dir or POS_TERMINAL_STATE_DIR) for "
                             f"{config.acquirer.base_url}", code="IDENTITY_MISMATCH")
        return stamp
    use = _matching_config(stamp)
    if config.acquirer.embedded:
        raise FaultError(f"state directory {state_dir} belongs to {stamp.names()}: the demo's embedded sandbox "
                         f"never opens it; run with --config {use}", code="IDENTITY_MISMATCH")
    mine = identity_of(config, machine="")
    differs = [name for name in ("base_url", "client_id", "terminal_id")
               if getattr(mine, name) != getattr(stamp, name)]
    if differs:
        raise FaultError(f"configuration {config.source or '(built in)'} names {mine.names()}, but state directory "
                         f"{state_dir} belongs to {stamp.names()}: run with --config {use}", code="IDENTITY_MISMATCH")
    if mine.key_version != stamp.key_version:
        raise FaultError(f"configuration {config.source} has key_version {mine.key_version}, the state directory's "
                         f"key is version {stamp.key_version}: run with --config {use} (or finish the rotation "
                         f"with `pos-terminal rotate-key`)", code="IDENTITY_MISMATCH")
    here = machine_id() if machine is None else machine
    if stamp.machine and here and stamp.machine != here:
        raise FaultError(f"state directory {state_dir} was provisioned on another device (a copied SD card?): its "
                         f"keys and journal belong to that device, which keeps its open batch; nothing was sent or "
                         f"changed here. Provision this device as a new terminal (`pos-terminal factory-reset`, "
                         f"then `pos-terminal provision`)", code="CLONED_STATE_DIR")
    return stamp


def adopt(journal: Journal, config: Config, state_dir: Path) -> None:
    """First start of a journal without a stamp: stamp it with this configuration."""
    if read_stamp(state_dir) is None:
        write_stamp(journal, identity_of(config))


def default_config_path(state_dir: Path) -> Path | None:
    """Without --config: the configuration a provisioned state directory was stamped with (or the
    system one), never the demo profile. None when the directory is not provisioned."""
    stamp = read_stamp(state_dir)
    if stamp is None or stamp.base_url == "embedded":
        return None
    use = _matching_config(stamp)
    if not Path(use).is_file():
        raise FaultError(f"state directory {state_dir} belongs to {stamp.names()}, but its configuration {use} is "
                         f"missing: pass --config PATH (the terminal.toml written by `pos-terminal provision`)",
                         code="CONFIG")
    return Path(use)
