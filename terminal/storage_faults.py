"""Storage failures (disk full, read-only file system, permissions) as faults that say what to do.

A full disk mid-sale or a journal on a read-only mount once surfaced as "internal error". Both
are terminal faults (exit 3, 503 on the control API) with their own codes, so a technician
knows to free space or remount, and a cashier sees "call a technician", not a crash.
"""
from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from .errors import FaultError

DISK_FULL, READ_ONLY, NO_ACCESS = "DISK_FULL", "STORAGE_READ_ONLY", "STORAGE_NO_ACCESS"
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_PERM = 13, 8, 14, 3


def _advice(kind: str, path: Path, what: str) -> str:
    where = Path(path) if Path(path).is_dir() else Path(path).parent
    if kind == DISK_FULL:
        return (f"{what} {path} could not be written: the disk is full. Free space on the file system of {where} "
                f"(old logs, receipts, support bundles), then run `pos-terminal diagnose`; nothing was sent to "
                f"the acquirer for a payment that could not be journalled")
    if kind == READ_ONLY:
        return (f"{what} {path} could not be written: it is read-only (its file system remounted read-only after "
                f"a storage error, or the file's permissions). Check the SD card / disk, remount {where} "
                f"read-write, then run `pos-terminal diagnose`")
    return (f"{what} {path} could not be written: permission denied. The service user must own {where} "
            f"(mode 0700), then run `pos-terminal diagnose`")


def storage_kind(exc: BaseException) -> str | None:
    """DISK_FULL / STORAGE_READ_ONLY / STORAGE_NO_ACCESS for a storage error, else None."""
    if isinstance(exc, OSError):
        return {errno.ENOSPC: DISK_FULL, errno.EDQUOT: DISK_FULL, errno.EROFS: READ_ONLY,
                errno.EACCES: NO_ACCESS, errno.EPERM: NO_ACCESS}.get(exc.errno or 0)
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(exc).lower()
        if code == _SQLITE_FULL or "disk is full" in text:
            return DISK_FULL
        if code == _SQLITE_READONLY or "readonly" in text or "read-only" in text:
            return READ_ONLY
        if code == _SQLITE_PERM:
            return NO_ACCESS
    return None


def storage_fault(exc: BaseException, path: Path, what: str = "journal") -> FaultError | None:
    """The FaultError for a storage error at `path`, or None when `exc` is something else."""
    kind = storage_kind(exc)
    if kind is None:
        return None
    return FaultError(_advice(kind, path, what), code=kind)
