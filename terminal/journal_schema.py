"""The journal's schema version (PRAGMA user_version), its migrations, and the backup taken
before an update migrates it.

Migrations are additive only (new tables, new nullable columns, new indexes), so a release
rolled back to still opens a journal a newer release migrated: it warns and carries on rather
than refusing to take payments. A migration runs in one SQLite transaction with the version
bump, so a power cut leaves either the old schema or the new one, never half of it. The update
(terminal/updater.py) copies the journal aside with SQLite's online backup API first.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("terminal.journal")

# version -> the step from version-1 to version. Version 1 is the schema of journal.SCHEMA as
# first versioned (journals written before had user_version 0 and the same tables).
def _refund_reasons(db: sqlite3.Connection) -> None:
    """Refund reasons, in a table of their own: an older release (after a rollback) reads
    `SELECT * FROM refunds` into its Refund record, and a new column there would break it."""
    db.execute("CREATE TABLE IF NOT EXISTS refund_reasons (refund_id TEXT PRIMARY KEY REFERENCES refunds(id), "
               "code TEXT NOT NULL, text TEXT NOT NULL DEFAULT '')")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: lambda db: None,
    2: _refund_reasons,
}
SCHEMA_VERSION = max(MIGRATIONS)


def user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> tuple[int, int]:
    """Bring the schema to `target`; returns (from, to). Newer than this release knows: a
    rollback; left as it is (migrations are additive)."""
    current = user_version(db)
    if current > target:
        log.warning("journal schema %s is newer than this release's %s (a rollback?): carrying on, migrations "
                    "are additive", current, target)
        return current, current
    for version in range(current + 1, target + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {int(version)}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return current, max(current, target)


def backup(path: Path, dest: Path) -> Path:
    """A consistent copy of the journal (online backup API: safe while another process has it
    open), fsynced, mode 0600; written to a temporary name and renamed, so `dest` is whole."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_RDWR | os.O_CREAT, 0o600))
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, dest)
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return dest


def migrate_file(path: Path, *, target: int | None = None) -> tuple[int, int]:
    """Migrate the journal at `path` (the update's migrate step, run with the new release)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return migrate(db, target=SCHEMA_VERSION if target is None else target)
    finally:
        db.close()


def keep_owner(path: Path) -> None:
    """Run as root (an update, the boot-time recovery), give the files SQLite or the backup made
    back to the journal's owner, the service user: a root-owned -wal or -shm would stop the
    service from opening its own journal."""
    path = Path(path)
    if os.geteuid() != 0 or not path.exists():
        return
    owner = path.stat()
    extra = [path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    backups = path.parent / "backups"
    if backups.is_dir():
        extra += [backups, *backups.iterdir()]
    for p in extra:
        try:
            st = p.lstat()
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(p, owner.st_uid, owner.st_gid, follow_symlinks=False)
        except FileNotFoundError:
            continue
