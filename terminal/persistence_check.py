"""The `persistence` line of `pos-terminal diagnose`: will the journal survive a reboot?

Raspberry Pi OS offers an "overlay file system" (raspi-config, Performance): the root becomes an
overlay whose writes live in RAM. Everything works, every sale is journalled, and at the next
reboot the journal, the keys and the receipts are gone, silently. A tmpfs (or ramfs) state
directory loses them the same way; a read-only one cannot take a sale at all. This check reads
/proc/self/mountinfo (path injectable for tests), finds the mount that holds the state directory
and says what to do: keep `storage.state_dir` on a writable, persistent partition.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnostics import Check

MOUNTINFO = Path("/proc/self/mountinfo")
MOUNTINFO_ENV = "POS_TERMINAL_MOUNTINFO"   # another mount table to read (tests, a chroot image)
RAM = {"tmpfs", "ramfs"}
OVERLAY = {"overlay", "overlayfs", "aufs"}


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str
    source: str
    read_only: bool
    upperdir: str = ""      # an overlay's writable layer (where its changes really go)


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \\ooo octal.
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """proc(5): `id parent maj:min root point options [optional...] - fstype source superoptions`.
    Lines that do not parse are skipped (liberal: a kernel may add fields)."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        supers = tail[2].split(",") if len(tail) > 2 else []
        upper = next((o[len("upperdir="):] for o in supers if o.startswith("upperdir=")), "")
        mounts.append(Mount(_unescape(fields[4]), tail[0], tail[1], "ro" in fields[5].split(","),
                            _unescape(upper)))
    return mounts


def mount_of(path: Path, mounts: list[Mount]) -> Mount | None:
    """The mount holding `path`: the longest mount point that is a prefix (the last one mounted
    wins when two are stacked on the same point)."""
    target = str(path)
    best: Mount | None = None
    for m in mounts:
        point = m.point.rstrip("/") or "/"
        inside = target == point or target.startswith(point if point == "/" else point + "/")
        if inside and (best is None or len(point) >= len(best.point.rstrip("/") or "/")):
            best = m
    return best


def volatile(mount: Mount, mounts: list[Mount]) -> bool | None:
    """True: its writes live in RAM (tmpfs, or an overlay whose upper layer is on tmpfs, as Raspberry
    Pi OS's overlay file system does); False: on a disk; None: an overlay whose upper layer is not in
    this mount namespace (a container's root), so it cannot be told from here."""
    if mount.fstype in RAM:
        return True
    if mount.fstype not in OVERLAY:
        return False
    under = mount_of(Path(mount.upperdir), mounts) if mount.upperdir.startswith("/") else None
    if under is None or under is mount:
        return None
    return under.fstype in RAM


def check_persistence(state_dir: Path, *, mountinfo: Path | None = None) -> Check:
    """A diagnostics Check: FAIL when the state directory is on an overlay, tmpfs or read-only
    mount; WARN when only the root is an overlay (the state dir is safe, other changes are not)."""
    from .diagnostics import FAIL, PASS, SKIP, WARN, Check

    mountinfo = Path(mountinfo or os.environ.get(MOUNTINFO_ENV) or MOUNTINFO)
    try:
        mounts = parse_mountinfo(Path(mountinfo).read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        return Check("persistence", SKIP, f"mount table unavailable ({mountinfo}: {exc.strerror})")
    where = Path(state_dir).absolute().resolve()    # symlinks followed as far as they exist
    mount = mount_of(where, mounts)
    root = mount_of(Path("/"), mounts)
    if mount is None:
        return Check("persistence", SKIP, f"no mount found for {where} in {mountinfo}")
    fix = ("keep the state directory on a writable, persistent partition: set storage.state_dir "
           "(or POS_TERMINAL_STATE_DIR) to a directory on it, or turn the overlay file system off "
           "(raspi-config, Performance Options), then reboot")
    lost = volatile(mount, mounts)
    if lost:
        kind = mount.fstype if mount.fstype in RAM else f"an overlay kept in RAM ({mount.upperdir})"
        return Check("persistence", FAIL,
                     f"state directory {state_dir} is on {kind} at {mount.point}: the journal, keys and "
                     "receipts are lost at every reboot", fix)
    if mount.read_only:
        return Check("persistence", FAIL, f"state directory {state_dir} is on a read-only mount ({mount.point})", fix)
    if lost is None:
        return Check("persistence", WARN,
                     f"state directory {state_dir} is on an overlay ({mount.point}) whose writable layer cannot be "
                     "seen from here: if it is kept in RAM the journal is lost at reboot", fix)
    if root is not None and root is not mount and volatile(root, mounts):
        return Check("persistence", WARN,
                     f"the root file system is {root.fstype} (changes outside {mount.point} are lost at reboot); "
                     f"the state directory is on {mount.fstype} {mount.source}",
                     "install updates and configuration changes with the overlay turned off")
    return Check("persistence", PASS, f"state directory on {mount.fstype} {mount.source} ({mount.point})")
