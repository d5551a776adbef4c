"""Durable file writes (unique temp file + fsync + os.replace + directory fsync) and the one
permission rule for every secret file in the state directory (keys, token, PIN hashes)."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import FaultError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace `path` with `data` in one step. The temp file's name is unique per call (mkstemp),
    so two threads or processes writing the same file never share, truncate or rename each
    other's temp file; the last replace wins and readers only ever see a whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable (POSIX: the directory must be synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_secret_mode(path: Path) -> bool:
    """False when `path` does not exist; FaultError when group or others may read or write it.
    The same rule for the signing keys, the HMAC key, the control token and the PIN hashes."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if mode & 0o077:
        raise FaultError(f"{path} is readable by other users (mode {oct(mode)}): run `chmod 600 {path}`",
                         code="KEY_PERMISSIONS")
    return True


def read_secret(path: Path) -> bytes | None:
    """A secret file's bytes (None when absent), refused when its mode lets others in."""
    if not check_secret_mode(path):
        return None
    return Path(path).read_bytes()
