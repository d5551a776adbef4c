"""`pos-terminal update` and `pos-terminal rollback`: a new release in, the old one kept bootable.

Steps of an update, each recorded in <root>/update.json before the next (a crash point after each):

  staged     the wheel installed as releases/<new> (a complete venv) and its CLI self-tested;
             the running service is untouched
  stopped    the service stopped (systemctl, injectable); refused if a payment is unresolved
             (checked before anything starts, and again once the service is stopped)
  backed_up  the journal copied aside (SQLite online backup) to <state>/backups/
  migrated   the journal schema migrated by the NEW release's code (PRAGMA user_version; additive
             migrations, so the old release still opens it)
  switched   `current` renamed to point at releases/<new> (atomic)
  started    the service started; then the health check (the unit is Type=notify: `systemctl
             start` returns once the app said READY=1; it must still be active after a settle time)
  done       the release marked good, update.json removed

A failed health check rolls back by itself: stop, `current` back to the old release, start.
A power cut at any step: the next boot runs `pos-terminal update --recover` (ExecStartPre in
the unit) before the app: an update that never reached `switched` is dropped (the old release
is still current), one that switched but was never confirmed healthy is rolled back. Either way
the previous release boots. The journal backup is never restored over a journal that took
payments since (that would lose them); it stays in <state>/backups/ for support.

A/B image updaters (RAUC, Mender) are the fleet-scale path: see deploy/UPDATES.md.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .crashpoints import crashpoint
from .errors import BusinessError, FaultError, InputError
from .files import write_atomic
from .records import now_iso
from .releases import Layout, install_release, run, version_of_wheel

if TYPE_CHECKING:
    from .owner import OwnerLock

RECORD = "update.json"
SYSTEMCTL_ENV = "POS_TERMINAL_SYSTEMCTL"
SERVICE = "pos-terminal.service"
Progress = Callable[[str], None]
UNCONFIRMED = ("switched", "started")


class _NoLock:
    def release(self) -> None:
        pass


class Updater:
    def __init__(self, layout: Layout, *, state_dir: Path, config_path: Path | None = None,
                 systemctl: str | None = None, service: str = SERVICE, installer: str | None = None,
                 settle_s: float = 20.0, progress: Progress = lambda _m: None,
                 audit: Callable[..., None] = lambda *a, **k: None):
        self.layout = layout
        self.state_dir = Path(state_dir)
        self.config_path = config_path
        self.systemctl = shlex.split(systemctl or os.environ.get(SYSTEMCTL_ENV) or "systemctl")
        self.service = service
        self.installer = installer
        self.settle_s = settle_s
        self.say = progress
        self.audit = audit
        # Whether the service ran when the update began: only then is it started again (and its
        # health checked). A service the technician stopped, one not provisioned yet (it cannot
        # start) or a system without a running systemd (an image build) is left as it was.
        self._was_running = True

    # -- the record ---------------------------------------------------------------------------
    @property
    def record_path(self) -> Path:
        return self.layout.root / RECORD

    def load(self) -> dict | None:
        try:
            return json.loads(self.record_path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            return {"stage": "unknown"}

    def _save(self, record: dict, stage: str) -> None:
        record["stage"] = stage
        write_atomic(self.record_path, json.dumps(record, sort_keys=True).encode(), mode=0o644)

    # -- helpers ------------------------------------------------------------------------------
    def _service(self, verb: str, *, check: bool = True) -> bool:
        try:
            proc = subprocess.run([*self.systemctl, verb, self.service], capture_output=True, text=True, check=False, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            if check:
                raise FaultError(f"systemctl {verb} {self.service} could not run ({exc})", code="UPDATE") from None
            return False
        if proc.returncode != 0 and check:
            raise FaultError(f"systemctl {verb} {self.service} failed (exit {proc.returncode}): "
                             f"{proc.stderr.strip()[-300:]}", code="UPDATE")
        return proc.returncode == 0

    def _journal(self) -> Path:
        return self.state_dir / "journal.sqlite"

    def unresolved(self) -> int:
        """Payments and refunds not final: an update or rollback waits for them. Read-only (the
        journal is migrated by the new release's code only, after the backup)."""
        if not self._journal().exists():
            return 0
        import sqlite3

        from .records import REFUND_PENDING
        from .states import FINAL

        finals = [s.value for s in FINAL]
        try:
            db = sqlite3.connect(f"file:{self._journal()}?mode=ro", uri=True, timeout=10)
            try:
                txs = db.execute(f"SELECT COUNT(*) FROM transactions WHERE state NOT IN "
                                 f"({','.join('?' * len(finals))})", finals).fetchone()[0]
                refunds = db.execute("SELECT COUNT(*) FROM refunds WHERE state = ?", (REFUND_PENDING,)).fetchone()[0]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            raise FaultError(f"journal {self._journal()} cannot be read ({exc}): run `pos-terminal diagnose` "
                             f"before updating", code="JOURNAL") from None
        return int(txs) + int(refunds)

    def _refuse_if_unresolved(self, action: str) -> None:
        count = self.unresolved()
        if count:
            raise BusinessError(f"{count} payment(s) or refund(s) are still unresolved: {action} refused. Let the "
                                f"terminal resolve them (or run `pos-terminal recover`), then try again",
                                code="PAYMENTS_UNRESOLVED")

    def _release_cli(self, version: str, *args: str, what: str) -> None:
        config = ["--config", str(self.config_path)] if self.config_path else []
        cmd = [str(self.layout.release(version) / "bin" / "pos-terminal"), *config, *args]
        env_state = {"POS_TERMINAL_STATE_DIR": str(self.state_dir)}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300, env={**os.environ, **env_state})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FaultError(f"{what}: {exc}", code="UPDATE") from None
        if proc.returncode != 0:
            raise FaultError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}", code="UPDATE")

    def _refuse_inside_the_service(self) -> None:
        """`systemctl stop` ends every process of the unit: an update started from inside the
        service (a fleet command, a shell spawned by the app) would be killed half-way."""
        try:
            cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return
        if f"/{self.service}" in cgroup:
            raise InputError(f"this process runs inside {self.service}, which the update stops: start it outside, "
                             f"e.g. `systemd-run --unit=pos-terminal-update --wait pos-terminal ... update ...`",
                             code="INSIDE_SERVICE")

    def _owner_lock(self) -> OwnerLock | _NoLock:
        """With the service stopped, hold the state directory's owner lock while the journal is
        backed up, migrated and the release switched: no other process sends or resolves then."""
        from .owner import OwnerLock, TerminalBusy

        if not self.state_dir.is_dir():
            return _NoLock()
        try:
            lock = OwnerLock(self.state_dir, command="pos-terminal update").acquire()
        except TerminalBusy as busy:
            if self._was_running:
                self._service("start", check=False)
            self.record_path.unlink(missing_ok=True)
            raise BusinessError(f"{busy.message}; the update was not started (the service runs again)",
                                code="TERMINAL_BUSY") from None
        if os.geteuid() == 0:            # a lock file made by root would lock the service user out
            st = self.state_dir.stat()
            os.chown(lock.path, st.st_uid, st.st_gid)
        return lock

    def healthy(self) -> tuple[bool, str]:
        if not self._service("start", check=False):
            return False, f"{self.service} did not start (or never said READY)"
        deadline = time.monotonic() + self.settle_s
        while time.monotonic() < deadline:
            if not self._service("is-active", check=False):
                return False, f"{self.service} stopped within {self.settle_s:.0f} s of starting"
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))   # polling systemd, bounded
        if not self._service("is-active", check=False):
            return False, f"{self.service} is not active"
        return True, "active"

    # -- update -------------------------------------------------------------------------------
    def update(self, wheel: Path) -> dict:
        wheel = Path(wheel).resolve()
        if not wheel.is_file():
            raise InputError(f"{wheel} not found: pass the release wheel (with its dependency wheels beside it)")
        version = version_of_wheel(wheel)
        self._refuse_inside_the_service()
        self.recover()
        old = self.layout.current()
        if old == version:
            raise InputError(f"release {version} is already current: nothing to do")
        self._refuse_if_unresolved("update")
        record = {"kind": "update", "from": old, "to": version, "startedAt": now_iso()}
        self._save(record, "staging")
        self.say(f"[1/6] installing release {version} into {self.layout.release(version)}")
        install_release(self.layout, wheel, version, installer=self.installer)
        self._release_cli(version, "--help", what=f"self-test of release {version}")
        self._save(record, "staged")
        crashpoint("update_after_stage")
        lock: OwnerLock | _NoLock = _NoLock()
        try:
            self._stop_if_running("[2/6]")
            self._save(record, "stopped")
            crashpoint("update_after_stop")
            lock = self._owner_lock()
            self._refuse_if_unresolved("update")
            if self._journal().exists():
                from .journal_schema import backup, keep_owner

                dest = backup(self._journal(),
                              self.state_dir / "backups" / f"journal-{old or 'none'}-{now_iso()}.sqlite")
                keep_owner(self._journal())
                record["backup"] = str(dest)
                self.say(f"[3/6] journal backed up to {dest}")
            self._save(record, "backed_up")
            crashpoint("update_after_backup")
            self._release_cli(version, "journal-migrate", what=f"journal migration by release {version}")
            self._save(record, "migrated")
            crashpoint("update_after_migrate")
            self.say(f"[4/6] switching {self.layout.current_link} to release {version}")
            self.layout.switch(version)
            self._save(record, "switched")
            crashpoint("update_after_switch")
        except Exception as exc:
            # Refused or failed before the switch: the old release is still current; run it again.
            lock.release()
            if self.layout.current() != old and old:
                self.layout.switch(old)
            if self._was_running:
                self._service("start", check=False)
            self.record_path.unlink(missing_ok=True)
            if not isinstance(exc, BusinessError):
                self.audit("technician", "update", result="failed", fromVersion=old, toVersion=version,
                           why=getattr(exc, "message", str(exc))[:200])
            raise
        finally:
            lock.release()
        if not self._was_running:
            self.layout.mark(version, status="good", previous=old, checked="self-test (the service was not running)")
            self.record_path.unlink(missing_ok=True)
            self.audit("technician", "update", fromVersion=old, toVersion=version, serviceStarted=False)
            self.say(f"[5/6] {self.service} was not running before the update: not started, so its health is not "
                     f"checked; release {version} passed its self-test and migrated the journal")
            self.say(f"[6/6] release {version} is current; start it with `systemctl start {self.service}`"
                     + (f" ({old} is kept for `pos-terminal rollback`)" if old else ""))
            return {"from": old, "to": version, "backup": record.get("backup"), "started": False}
        self.say(f"[5/6] starting {self.service} and checking its health")
        ok, why = self.healthy()
        self._save(record, "started")
        crashpoint("update_after_start")
        if not ok:
            self._roll_back(record, why)
            raise FaultError(f"release {version} failed its health check ({why}): rolled back to {old}; the "
                             f"journal backup is {record.get('backup', 'not needed')}", code="UPDATE_ROLLED_BACK")
        self.layout.mark(version, status="good", previous=old)
        self.record_path.unlink(missing_ok=True)
        self.audit("technician", "update", fromVersion=old, toVersion=version)
        kept = f"{old} is kept for `pos-terminal rollback`" if old else "the first release on this device"
        self.say(f"[6/6] release {version} is current and healthy; {kept}")
        return {"from": old, "to": version, "backup": record.get("backup"), "started": True}

    def _stop_if_running(self, step: str) -> None:
        """Stop the service if it runs; remembered in _was_running, since only then is it started
        again. One that is not running stays stopped (a restart loop, 'activating', stops too)."""
        self._was_running = self._service("is-active", check=False)
        if self._was_running:
            self.say(f"{step} stopping {self.service}")
            self._service("stop")
        else:
            self.say(f"{step} {self.service} is not running: it stays stopped")
            self._service("stop", check=False)

    def _roll_back(self, record: dict, why: str) -> None:
        old, new = record.get("from"), record.get("to")
        self.say(f"rolling back to {old}: {why}")
        self._service("stop", check=False)
        if old and self.layout.current() != old:
            self.layout.switch(old)
        self._service("start", check=False)
        if new and self.layout.release(new).exists():
            self.layout.mark(new, status="failed", failedWhy=why[:200])
        self.record_path.unlink(missing_ok=True)
        self.audit("terminal", "update", result="failed", fromVersion=old, toVersion=new, rolledBack=True,
                   why=why[:200])

    # -- boot-time recovery (ExecStartPre) -----------------------------------------------------
    def recover(self) -> str | None:
        """Finish what a power cut interrupted; returns what was done (None: nothing to do).
        Never starts or stops the service: at boot systemd starts it right after."""
        record = self.load()
        if record is None:
            return None
        stage, old, new = record.get("stage"), record.get("from"), record.get("to")
        if record.get("kind") == "rollback" or stage not in UNCONFIRMED:
            # The old release is still current (or a rollback switched between two good ones).
            self.record_path.unlink(missing_ok=True)
            done = f"an interrupted {record.get('kind', 'update')} (at {stage}) was dropped; release " \
                   f"{self.layout.current()} stays current"
        else:
            if old and self.layout.current() != old:
                self.layout.switch(old)
            if new and self.layout.release(new).exists():
                self.layout.mark(new, status="failed", failedWhy=f"interrupted at {stage}, never confirmed healthy")
            self.record_path.unlink(missing_ok=True)
            done = f"release {new} was never confirmed healthy (interrupted at {stage}): rolled back to {old}"
        self.audit("terminal", "update", result="failed", fromVersion=old, toVersion=new, recovered=done)
        return done

    # -- rollback -----------------------------------------------------------------------------
    def rollback(self, to: str | None = None) -> dict:
        self._refuse_inside_the_service()
        self.recover()
        current = self.layout.current()
        target = to or (self.layout.info(current).get("previous") if current else None)
        if not target:
            others = [r["version"] for r in self.layout.installed() if r["version"] != current
                      and r.get("status") != "failed"]
            target = others[0] if others else None
        if not target or target == current:
            raise InputError(f"no other release to roll back to (see {self.layout.releases}): pass --to VERSION")
        if not (self.layout.release(target) / "bin" / "pos-terminal").exists():
            raise InputError(f"release {target} is not installed")
        self._refuse_if_unresolved("rollback")
        record = {"kind": "rollback", "from": current, "to": target, "startedAt": now_iso()}
        self._save(record, "stopping")
        try:
            self._stop_if_running("[1/3]")
        except Exception:
            self._service("start", check=False)
            self.record_path.unlink(missing_ok=True)
            raise
        crashpoint("rollback_after_stop")
        self.say(f"[2/3] switching to release {target}")
        self.layout.switch(target)
        self._save(record, "switched")
        crashpoint("rollback_after_switch")
        if not self._was_running:
            self.record_path.unlink(missing_ok=True)
            self.audit("technician", "rollback", result="ok", fromVersion=current, toVersion=target,
                       serviceStarted=False)
            self.say(f"[3/3] release {target} is current; {self.service} was not running and is not started")
            return {"from": current, "to": target, "started": False}
        self.say(f"[3/3] starting {self.service}")
        ok, why = self.healthy()
        self.record_path.unlink(missing_ok=True)
        self.audit("technician", "rollback", result="ok" if ok else "failed", fromVersion=current, toVersion=target)
        if not ok:
            raise FaultError(f"release {target} does not start either ({why}): check `journalctl -u {self.service}`",
                             code="ROLLBACK_UNHEALTHY")
        return {"from": current, "to": target, "started": True}


def default_settle_s() -> float:
    return float(os.environ.get("POS_TERMINAL_UPDATE_SETTLE_S", "20"))


__all__ = ["Layout", "Updater", "default_settle_s", "run"]
