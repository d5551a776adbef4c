"""Release commands: update, rollback, journal-migrate (terminal/updater.py, terminal/releases.py).

Exit codes: 0 done; 1 refused for a business reason (payments unresolved); 2 bad usage (no
such wheel, nothing to roll back to); 3 fault (install, systemctl, a failed health check that
was rolled back).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..locations import STATE_DIR_ENV
from .output import emit, say

if TYPE_CHECKING:
    from ..updater import Updater


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("update", help="install a new release and switch to it (rolls back by itself if unhealthy)",
                       description="Installs the wheel as <root>/releases/<version> (dependencies from the wheel's "
                                   "folder, nothing downloaded), stops the service, backs up and migrates the "
                                   "journal, switches <root>/current, starts the service and checks its health. "
                                   "Refused while payments are unresolved.")
    p.add_argument("wheel", nargs="?", help="pos_terminal-<version>-py3-none-any.whl (its dependency wheels beside it)")
    p.add_argument("--version", dest="release_version", metavar="VERSION",
                   help="instead of a wheel: the bundle already copied to <root>/bundles/VERSION/")
    _common(p)
    p.add_argument("--recover", action="store_true", help="only finish an update a power cut interrupted (the "
                   "unit's ExecStartPre runs this at boot)")
    p.add_argument("--installer", help=argparse.SUPPRESS)   # tests, custom images: `<cmd> <wheel> <release dir>`
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("rollback", help="switch back to the previous release (refused while payments are unresolved)")
    p.add_argument("--to", metavar="VERSION", help="the release to switch to (default: the one before current)")
    _common(p)
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("journal-migrate", help="migrate the journal schema to this release's (update runs it)")
    p.add_argument("--state-dir", help=f"default: ${STATE_DIR_ENV}, else storage.state_dir of --config")
    p.set_defaults(func=cmd_journal_migrate)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", help="install root (default: $POS_TERMINAL_ROOT, else the root of the "
                   "release this command runs from, else /opt/pos-terminal)")
    p.add_argument("--state-dir", help=f"the terminal's state directory (default: ${STATE_DIR_ENV}, else "
                   "storage.state_dir of --config)")
    p.add_argument("--systemctl", help="systemctl command (default: $POS_TERMINAL_SYSTEMCTL, else systemctl)")
    p.add_argument("--service", default="pos-terminal.service", help="the unit (default: pos-terminal.service)")
    p.add_argument("--settle-s", type=float, default=None, help="seconds the service must stay active after "
                   "start (default 20)")


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir:
        return Path(args.state_dir)
    from ..locations import read_toml, state_dir_of

    # Not provisioned yet (no terminal.toml): the state directory still comes from the environment.
    has_config = bool(args.config) and Path(args.config).exists()
    data, source = read_toml(args.config) if has_config else ({}, None)
    storage = data.get("storage", {}) if isinstance(data, dict) else {}
    return state_dir_of(storage.get("state_dir") or None, source)


def _updater(args: argparse.Namespace) -> Updater:
    from ..releases import Layout
    from ..updater import Updater, default_settle_s

    state_dir = _state_dir(args)

    def audit(actor: str, action: str, **kw: object) -> None:
        journal_path = state_dir / "journal.sqlite"
        if not journal_path.exists():
            return
        from ..audit import record_in
        from ..journal_schema import keep_owner

        record_in(journal_path, actor, action, say=say, **kw)
        keep_owner(journal_path)

    return Updater(Layout.at(args.root), state_dir=state_dir, config_path=Path(args.config).resolve() if args.config
                   else None, systemctl=args.systemctl, service=args.service,
                   installer=getattr(args, "installer", None),
                   settle_s=args.settle_s if args.settle_s is not None else default_settle_s(),
                   progress=say, audit=audit)


def cmd_update(args: argparse.Namespace) -> int:
    from ..errors import InputError

    updater = _updater(args)
    if args.recover:
        done = updater.recover()
        emit(args, {"recovered": done}, done or "no interrupted update")
        return 0
    wheel = Path(args.wheel) if args.wheel else None
    if wheel is None and args.release_version:
        bundle = updater.layout.root / "bundles" / args.release_version
        wheel = bundle / f"pos_terminal-{args.release_version}-py3-none-any.whl"
        if not wheel.is_file():
            raise InputError(f"no bundle for release {args.release_version}: copy it to {bundle}/ first")
    if wheel is None:
        raise InputError("pass the release wheel: pos-terminal update pos_terminal-<version>-py3-none-any.whl "
                         "(or --version VERSION with the bundle in <root>/bundles/VERSION/)")
    result = updater.update(wheel)
    emit(args, result, f"updated: {result['from'] or '(none)'} -> {result['to']}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    result = _updater(args).rollback(args.to)
    emit(args, result, f"rolled back: {result['from']} -> {result['to']}")
    return 0


def cmd_journal_migrate(args: argparse.Namespace) -> int:
    from ..journal_schema import keep_owner, migrate_file

    path = _state_dir(args) / "journal.sqlite"
    if not path.exists():
        emit(args, {"journal": str(path), "migrated": False}, f"no journal at {path}: nothing to migrate")
        return 0
    before, after = migrate_file(path)
    keep_owner(path)
    emit(args, {"journal": str(path), "from": before, "to": after}, f"journal schema {before} -> {after} ({path})")
    return 0
