"""Versioned releases on the device: <root>/releases/<version>/ and a `current` link.

    /opt/pos-terminal/releases/0.1.0/{venv/, bin/pos-terminal -> ../venv/bin/pos-terminal, RELEASE.json}
    /opt/pos-terminal/current -> releases/0.1.0          (the systemd unit runs current/bin/pos-terminal)

Each release is a complete virtual environment made at its final path (venvs do not move), so
switching is one atomic rename of a symlink: a power cut leaves `current` at the old release
or at the new one, never at neither. Every path is overridable (tests run in a tmp dir).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import FaultError, InputError
from .files import fsync_dir, write_atomic
from .records import now_iso

ROOT_ENV = "POS_TERMINAL_ROOT"
DEFAULT_ROOT = Path("/opt/pos-terminal")
_WHEEL = re.compile(r"^pos_terminal-(?P<version>[0-9][0-9A-Za-z.+!_-]*?)-py3-none-any\.whl$")
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!_-]{0,63}$")


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def at(cls, root: str | Path | None = None) -> Layout:
        """--root, else $POS_TERMINAL_ROOT, else the root this release runs from, else the default:
        installed with `install.sh --prefix /opt/x`, `/opt/x/current/bin/pos-terminal update` (and
        the unit's `update --recover` at boot) work on /opt/x, not on an empty /opt/pos-terminal."""
        return cls(Path(root or os.environ.get(ROOT_ENV) or own_root(Path(sys.prefix)) or DEFAULT_ROOT))

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def release(self, version: str) -> Path:
        if not _VERSION.match(version):
            raise InputError(f"{version!r} is not a release version")
        return self.releases / version

    def current(self) -> str | None:
        try:
            return Path(os.readlink(self.current_link)).name
        except (FileNotFoundError, OSError):
            return None

    def switch(self, version: str) -> None:
        """Point `current` at the release, atomically (symlink to a temp name, then rename)."""
        target = self.release(version)
        if not (target / "bin" / "pos-terminal").exists():
            raise FaultError(f"release {version} is incomplete ({target}): reinstall it", code="RELEASE")
        tmp = self.root / f".current.tmp-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(Path("releases") / version, tmp)
        os.replace(tmp, self.current_link)
        fsync_dir(self.root)

    def installed(self) -> list[dict]:
        """Releases on the device, newest install first, with their RELEASE.json."""
        out: list[dict] = []
        if not self.releases.is_dir():
            return out
        for path in self.releases.iterdir():
            info = self.info(path.name) if path.is_dir() and _VERSION.match(path.name) else {}
            if info.get("installedAt") and (path / "bin" / "pos-terminal").exists():
                out.append({"version": path.name, **info})
        return sorted(out, key=lambda r: r.get("installedAt", ""), reverse=True)

    def info(self, version: str) -> dict:
        try:
            return json.loads((self.release(version) / "RELEASE.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def mark(self, version: str, **fields: object) -> None:
        info = {**self.info(version), **fields}
        write_atomic(self.release(version) / "RELEASE.json", json.dumps(info, sort_keys=True).encode(), mode=0o644)


def own_root(venv: Path) -> Path | None:
    """<root> when this interpreter's venv is <root>/releases/<version>/venv (an installed release)."""
    if venv.name == "venv" and venv.parent.parent.name == "releases" and _VERSION.match(venv.parent.name):
        return venv.parent.parent.parent
    return None


def version_of_wheel(wheel: Path) -> str:
    match = _WHEEL.match(Path(wheel).name)
    if not match:
        raise InputError(f"{wheel} is not a pos-terminal wheel (pos_terminal-<version>-py3-none-any.whl)")
    return match.group("version")


def install_release(layout: Layout, wheel: Path, version: str, *, installer: str | None = None) -> Path:
    """Install the wheel as releases/<version>; RELEASE.json, written last, marks it complete (a
    directory without it is what a power cut left, and is removed and redone).

    Default installer: a venv made at its final path (a venv does not move), the wheel and its
    pinned dependencies from the wheel's folder only (`--no-index --find-links`: an update bundle
    is a folder of wheels, nothing is downloaded on the device), bin/pos-terminal linked to it.
    `installer` replaces it (tests, custom images): run as `<installer> <wheel> <release dir>`,
    it must leave <release dir>/bin/pos-terminal.
    """
    final = layout.release(version)
    if final.exists():
        if layout.info(version).get("installedAt") and (final / "bin" / "pos-terminal").exists():
            return final              # staged by an earlier, interrupted update
        shutil.rmtree(final)          # half-made by a power cut
    layout.releases.mkdir(parents=True, exist_ok=True)
    final.mkdir()
    try:
        if installer:
            run([*shlex.split(installer), str(wheel), str(final)], what="the release installer")
        else:
            run([sys.executable, "-m", "venv", str(final / "venv")], what="python -m venv")
            if any(Path(wheel).parent.glob("pip-*.whl")):   # the bundle's pinned installer (install.sh)
                run([str(final / "venv" / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                     "--no-index", "--find-links", str(Path(wheel).parent), "--upgrade", "pip", "setuptools"],
                    what="pip upgrade of the release venv")
            run([str(final / "venv" / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                 "--no-index", "--find-links", str(Path(wheel).parent), str(wheel)], what="pip install of the release")
            (final / "bin").mkdir(exist_ok=True)
            os.symlink("../venv/bin/pos-terminal", final / "bin" / "pos-terminal")
        if not (final / "bin" / "pos-terminal").exists():
            raise FaultError(f"the installer left no bin/pos-terminal in {final}", code="RELEASE")
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise
    fsync_dir(final)
    layout.mark(version, installedAt=now_iso(), wheel=Path(wheel).name, status="staged")
    fsync_dir(layout.releases)
    return final


def run(cmd: list[str], *, what: str, timeout: float = 900) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FaultError(f"{what} could not run ({exc})", code="UPDATE") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FaultError(f"{what} failed (exit {proc.returncode}): {' / '.join(tail)}", code="UPDATE")
    return proc
