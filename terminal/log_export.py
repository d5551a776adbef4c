"""`pos-terminal export-logs`: a tar.gz for support with the terminal's logs, a diagnose report
and the configuration. Never the key files, PIN hashes or the control token (only the log
directory and the TOML are read, never the state directory's other files), and every text in
the bundle passes through the 16-24 digit mask, so a payment code that slipped into a log is
masked here too.
"""
from __future__ import annotations

import io
import json
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .logs import LOG_DIR, mask_digit_runs


def _add_text(tar: tarfile.TarFile, name: str, text: str, members: list[str]) -> None:
    data = mask_digit_runs(text).encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
    members.append(name)


def _audit_entries(state_dir: Path) -> list[dict] | None:
    """The technician actions (provision, rotate-key, factory-reset, update, ...) from the journal's
    audit trail, newest first; None when there is no journal or it cannot be read."""
    from .audit import AuditTrail
    from .errors import TerminalError
    from .journal import Journal

    path = state_dir / "journal.sqlite"
    if not path.is_file():
        return None
    try:
        journal = Journal(path)
    except (TerminalError, OSError):
        return None
    try:
        return AuditTrail(journal).entries(limit=10_000)
    except Exception:   # noqa: BLE001 - a damaged journal must not stop the support bundle
        return None
    finally:
        journal.close()


def export_logs(config_path: str | None, *, output: Path | None = None, network: bool = True,
                cwd: Path | None = None) -> tuple[Path, list[str]]:
    """Write the bundle; returns its path and the member names."""
    from .config import load_config
    from .diagnostics import format_report, run_diagnostics
    from .errors import TerminalError
    from .locations import default_config_path

    if not config_path:
        try:
            config_path = str(default_config_path())
        except TerminalError as exc:   # a provisioned directory whose configuration is missing
            raise TerminalError(exc.message, code=exc.code) from None

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = Path(output) if output else Path(cwd or ".") / f"pos-terminal-support-{stamp}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    report = run_diagnostics(config_path, network=network)
    members: list[str] = []
    prefix = f"pos-terminal-support-{stamp}"
    with tarfile.open(output, "w:gz") as tar:
        manifest = {"created": stamp, "softwareVersion": __version__, "config": str(config_path)}
        try:
            config = load_config(config_path)
        except TerminalError:
            config = None
        try:
            _add_text(tar, f"{prefix}/config.toml", Path(config_path).read_text(encoding="utf-8"), members)
        except OSError as exc:
            manifest["configError"] = str(exc)
        _add_text(tar, f"{prefix}/diagnose.txt", format_report(report) + "\n", members)
        _add_text(tar, f"{prefix}/diagnose.json", json.dumps(report.to_api(), indent=1) + "\n", members)
        if config is not None:
            log_dir = config.state_dir() / LOG_DIR
            manifest["stateDir"] = str(config.state_dir())
            for path in sorted(log_dir.glob("*.log*")) if log_dir.is_dir() else []:
                if path.is_file() and not path.is_symlink():
                    _add_text(tar, f"{prefix}/logs/{path.name}",
                              path.read_text(encoding="utf-8", errors="replace"), members)
            audit = _audit_entries(config.state_dir())
            if audit is not None:
                _add_text(tar, f"{prefix}/audit.json", json.dumps(audit, indent=1, ensure_ascii=False) + "\n", members)
        _add_text(tar, f"{prefix}/manifest.json", json.dumps({**manifest, "files": list(members)}, indent=1),
                  members)
    output.chmod(0o600)
    return output, members
