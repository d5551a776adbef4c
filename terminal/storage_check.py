"""The `storage` line of `pos-terminal diagnose`: can the state directory take the next sale?

The journal must be written before a pay request leaves, so a full or read-only disk stops
payments. `diagnose` once passed with both; this check fails on a read-only mount, on a write
that does not go through, and below MIN_FREE bytes free, and warns below WARN_FREE. The probe is
a uniquely named temp file that is removed again: nothing of the terminal's state changes.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .storage_faults import storage_fault

if TYPE_CHECKING:
    from .diagnostics import Check

MIN_FREE = 16 * 1024 * 1024         # below this a sale's journal writes may fail
WARN_FREE = 256 * 1024 * 1024       # below this, logs and receipts will fill it soon
PROBE_BYTES = 64 * 1024


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB"


def check_storage(state_dir: Path, *, min_free: int = MIN_FREE, warn_free: int = WARN_FREE) -> Check:
    """A diagnostics Check (PASS / WARN / FAIL / SKIP) for `state_dir`."""
    from .diagnostics import FAIL, PASS, SKIP, WARN, Check

    state_dir = Path(state_dir)
    if not state_dir.is_dir():
        return Check("storage", SKIP, f"no state directory yet ({state_dir})")
    try:
        vfs = os.statvfs(state_dir)
    except OSError as exc:
        return Check("storage", FAIL, f"{state_dir} cannot be examined ({exc.strerror})", "check the disk")
    if vfs.f_flag & os.ST_RDONLY:
        return Check("storage", FAIL, f"{state_dir} is on a read-only file system: no sale can be journalled",
                     f"check the SD card / disk (dmesg), then remount {state_dir} read-write")
    free = vfs.f_bavail * vfs.f_frsize
    try:
        fd, name = tempfile.mkstemp(prefix=".diagnose-", dir=state_dir)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        fault = storage_fault(exc, state_dir / "journal.sqlite")
        return Check("storage", FAIL, f"a test write in {state_dir} failed ({exc.strerror})",
                     fault.message if fault else "check the disk and the directory's owner")
    if free < min_free:
        return Check("storage", FAIL, f"{_mib(free)} free in {state_dir} (a sale needs at least {_mib(min_free)})",
                     "free space: old support bundles, logs, receipts; or a larger card")
    if free < warn_free:
        return Check("storage", WARN, f"only {_mib(free)} free in {state_dir} (warning below {_mib(warn_free)})",
                     "free space soon: old support bundles, logs, receipts")
    return Check("storage", PASS, f"writable, {_mib(free)} free in {state_dir}")
