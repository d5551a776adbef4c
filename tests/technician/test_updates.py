"""Updates and rollback on the release layout (<root>/releases/<version> + `current`), with an
injected installer and systemctl, in a tmp dir. A power cut at every step leaves the previous
release bootable, with the journal whole."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.audit import AuditTrail
from terminal.crashpoints import UPDATE_POINTS
from terminal.errors import InputError
from terminal.journal import Journal
from terminal.journal_schema import SCHEMA_VERSION
from terminal.releases import Layout, install_release
from terminal.states import TxState
from tests.core.journal_helpers import make_tx
from tests.support import run_cli

INSTALLER = """#!/bin/sh
# fake release installer: <wheel> <release dir>; the release runs this checkout's CLI
set -e
mkdir -p "$2/bin"
printf '#!/bin/sh\\nexec %s -m terminal.cli.main "$@"\\n' "{python}" > "$2/bin/pos-terminal"
chmod +x "$2/bin/pos-terminal"
if grep -q unhealthy "$1"; then touch "$2/UNHEALTHY"; fi
if grep -q badmigration "$1"; then
  printf '#!/bin/sh\ncase "$*" in *journal-migrate*) echo "migration 2 failed" >&2; exit 3;; esac\nexec %s -m terminal.cli.main "$@"\n' "{python}" > "$2/bin/pos-terminal"
fi
"""
SYSTEMCTL = """#!/bin/sh
# fake systemctl: logs the verb; a release marked UNHEALTHY never stays up; <tmp>/OFFLINE: no
# systemd as PID 1 (a chroot, an image build); <tmp>/STOPPED: the service is not running;
# <tmp>/STOP_FAILS: `stop` fails
echo "$1" >> "{log}"
if [ -e "{tmp}/OFFLINE" ]; then echo "System has not been booted with systemd as init system (PID 1)." >&2; exit 1; fi
case "$1" in is-active) [ -e "{tmp}/STOPPED" ] && exit 3 ;; stop) [ -e "{tmp}/STOP_FAILS" ] && exit 1 ;; esac
case "$1" in start|is-active) [ -e "{root}/current/UNHEALTHY" ] && exit 3 ;; esac
exit 0
"""


class Rig:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "opt"
        self.state = tmp / "state"
        self.log = tmp / "systemctl.log"
        self.installer = tmp / "install.sh"
        self.installer.write_text(INSTALLER.format(python=sys.executable))
        self.systemctl = tmp / "systemctl.sh"
        self.systemctl.write_text(SYSTEMCTL.format(log=self.log, root=self.root, tmp=tmp))
        self.installer.chmod(0o755)
        self.systemctl.chmod(0o755)
        self.layout = Layout(self.root)

    def wheel(self, version: str, content: str = "ok") -> Path:
        path = self.tmp / "bundle" / f"pos_terminal-{version}-py3-none-any.whl"
        path.parent.mkdir(exist_ok=True)
        path.write_text(content)
        return path

    def cli(self, *args: str, env: dict | None = None):
        return run_cli(None, *args, "--root", str(self.root), "--state-dir", str(self.state),
                       "--systemctl", str(self.systemctl), "--settle-s", "0", env=env)

    def calls(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def journal_rows(self) -> list[str]:
        """Read-only (opening a Journal would migrate it)."""
        db = sqlite3.connect(f"file:{self.state / 'journal.sqlite'}?mode=ro", uri=True)
        try:
            return [r[0] for r in db.execute("SELECT id FROM transactions ORDER BY rowid")]
        finally:
            db.close()


@pytest.fixture
def rig(tmp_path, monkeypatch):
    monkeypatch.delenv("POS_TERMINAL_STATE_DIR", raising=False)
    r = Rig(tmp_path)
    install_release(r.layout, r.wheel("0.1.0"), "0.1.0", installer=str(r.installer))
    r.layout.switch("0.1.0")
    r.layout.mark("0.1.0", status="good")
    journal = Journal(r.state / "journal.sqlite")
    journal.create(make_tx(state=TxState.APPROVED))
    journal.close()
    db = sqlite3.connect(r.state / "journal.sqlite")
    db.execute("PRAGMA user_version = 0")       # a journal written before schema versions
    db.commit()
    db.close()
    return r


def _user_version(rig) -> int:
    db = sqlite3.connect(rig.state / "journal.sqlite")
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_update_backs_up_migrates_switches_and_keeps_the_previous(rig):
    rows = rig.journal_rows()
    proc = rig.cli("--json", "update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["from"] == "0.1.0" and result["to"] == "0.2.0"
    assert rig.layout.current() == "0.2.0"
    assert rig.layout.info("0.2.0")["status"] == "good" and rig.layout.info("0.2.0")["previous"] == "0.1.0"
    assert rig.calls()[:3] == ["is-active", "stop", "start"]
    assert _user_version(rig) == SCHEMA_VERSION                  # migrated by the new release
    backup = sqlite3.connect(result["backup"])
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 0   # taken before the migration
    assert [r[0] for r in backup.execute("SELECT id FROM transactions")] == rows
    backup.close()
    assert rig.journal_rows() == rows
    journal = Journal(rig.state / "journal.sqlite")
    assert AuditTrail(journal).entries(action="update")[0]["detail"]["toVersion"] == "0.2.0"
    journal.close()
    # ... and back
    proc = rig.cli("rollback")
    assert proc.returncode == 0, proc.stderr
    assert rig.layout.current() == "0.1.0"


def test_update_refused_while_a_payment_is_unresolved(rig):
    journal = Journal(rig.state / "journal.sqlite")
    journal.create(make_tx(state=TxState.SENT))                 # answer not known yet
    journal.close()
    proc = rig.cli("update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer))
    assert proc.returncode == 1 and "unresolved" in proc.stderr
    assert rig.layout.current() == "0.1.0" and rig.calls() == []
    assert rig.cli("rollback", "--to", "0.1.0").returncode != 0


def test_an_unhealthy_release_is_rolled_back_by_itself(rig):
    proc = rig.cli("update", str(rig.wheel("0.2.0", "unhealthy")), "--installer", str(rig.installer))
    assert proc.returncode == 3 and "rolled back to 0.1.0" in proc.stderr
    assert rig.layout.current() == "0.1.0"
    assert rig.layout.info("0.2.0")["status"] == "failed"
    assert rig.calls()[-1] == "start"                            # the old release runs again
    assert not (rig.root / "update.json").exists()


def test_a_failed_migration_leaves_the_old_release_running(rig):
    rows = rig.journal_rows()
    proc = rig.cli("update", str(rig.wheel("0.2.0", "badmigration")), "--installer", str(rig.installer))
    assert proc.returncode == 3 and "migration 2 failed" in proc.stderr
    assert rig.layout.current() == "0.1.0" and rig.calls() == ["is-active", "stop", "start"]
    assert not (rig.root / "update.json").exists() and rig.journal_rows() == rows


UPDATE_STEPS = [p for p in UPDATE_POINTS if p.startswith("update_")]


@pytest.mark.parametrize("point", UPDATE_POINTS)
def test_power_cut_at_every_step_leaves_the_previous_release_bootable(rig, point):
    rows = rig.journal_rows()
    if point.startswith("rollback"):
        assert rig.cli("update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer)).returncode == 0
        proc = rig.cli("rollback", env={"POS_TERMINAL_CRASHPOINT": point})
        good = {"0.1.0", "0.2.0"}                               # both are known-good releases
    else:
        proc = rig.cli("update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer),
                       env={"POS_TERMINAL_CRASHPOINT": point})
        good = {"0.1.0"}
    assert proc.returncode == -9, f"{point} not reached: {proc.stderr}"
    boot = rig.cli("update", "--recover")                        # the unit's ExecStartPre at the next boot
    assert boot.returncode == 0, boot.stderr
    current = rig.layout.current()
    assert current in good
    release_cli = rig.layout.current_link / "bin" / "pos-terminal"   # what the unit's ExecStart runs
    assert subprocess.run([str(release_cli), "--help"], capture_output=True, check=False, timeout=60).returncode == 0
    assert not (rig.root / "update.json").exists()
    assert rig.journal_rows() == rows                            # nothing lost, journal opens
    if point in ("update_after_migrate", "update_after_start"):
        # The technician simply runs the update again, and it completes.
        again = rig.cli("update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer))
        assert again.returncode == 0, again.stderr
        assert rig.layout.current() == "0.2.0"


def test_update_by_version_from_the_bundles_folder(rig):
    bundle = rig.root / "bundles" / "0.3.0"
    bundle.mkdir(parents=True)
    (bundle / "pos_terminal-0.3.0-py3-none-any.whl").write_text("ok")
    assert rig.cli("update", "--version", "0.4.0", "--installer", str(rig.installer)).returncode == 2
    proc = rig.cli("update", "--version", "0.3.0", "--installer", str(rig.installer))
    assert proc.returncode == 0, proc.stderr
    assert rig.layout.current() == "0.3.0"


def test_update_refuses_to_run_inside_the_service_it_stops(rig, monkeypatch):
    from terminal.updater import Updater

    updater = Updater(rig.layout, state_dir=rig.state, systemctl=str(rig.systemctl), settle_s=0,
                      installer=str(rig.installer))
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: "0::/system.slice/pos-terminal.service\n"
                        if str(self) == "/proc/self/cgroup" else real_read(self, *a, **k))
    with pytest.raises(InputError, match="systemd-run"):
        updater.update(rig.wheel("0.2.0"))
    assert rig.layout.current() == "0.1.0" and rig.calls() == []


@pytest.mark.parametrize("why", ["STOPPED", "OFFLINE"])
def test_a_service_that_was_not_running_is_updated_and_left_stopped(rig, why):
    """deploy/install.sh run again after `git pull` on a terminal not provisioned yet (its service
    cannot start), stopped by the technician, or in an image build without systemd: the update
    used to fail at `systemctl stop` (offline) or start a service that cannot run, fail its
    health check and roll back (exit 3), so the installer could never upgrade it."""
    (rig.tmp / why).touch()
    rows = rig.journal_rows()
    proc = rig.cli("--json", "update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["to"] == "0.2.0" and result["started"] is False
    assert rig.layout.current() == "0.2.0" and rig.layout.info("0.2.0")["status"] == "good"
    assert "start" not in rig.calls() and "systemctl start" in proc.stderr    # says how to start it
    assert _user_version(rig) == SCHEMA_VERSION and rig.journal_rows() == rows
    assert not (rig.root / "update.json").exists()
    proc = rig.cli("rollback")                                    # back, still without starting it
    assert proc.returncode == 0, proc.stderr
    assert rig.layout.current() == "0.1.0" and "start" not in rig.calls()


def test_a_failed_stop_starts_the_old_release_again_and_leaves_no_update_record(rig):
    (rig.tmp / "STOP_FAILS").touch()
    proc = rig.cli("update", str(rig.wheel("0.2.0")), "--installer", str(rig.installer))
    assert proc.returncode == 3 and "systemctl stop" in proc.stderr
    assert rig.layout.current() == "0.1.0" and rig.calls() == ["is-active", "stop", "start"]
    assert not (rig.root / "update.json").exists()               # was left at "staged"


def test_an_installed_release_finds_its_own_root(tmp_path, monkeypatch):
    """Installed with `install.sh --prefix /opt/pos-e2e`, the unit's `update --recover` at boot
    (and a technician's `.../current/bin/pos-terminal update`) looked at /opt/pos-terminal and
    found no interrupted update: seen for real, update.json left at `switched`."""
    from terminal import releases

    monkeypatch.delenv("POS_TERMINAL_ROOT", raising=False)
    monkeypatch.setattr(releases.sys, "prefix", str(tmp_path / "pos-e2e" / "releases" / "0.1.1" / "venv"))
    assert Layout.at().root == tmp_path / "pos-e2e"
    assert Layout.at(tmp_path / "other").root == tmp_path / "other"          # --root wins
    monkeypatch.setenv("POS_TERMINAL_ROOT", str(tmp_path / "env"))
    assert Layout.at().root == tmp_path / "env"                                # then the environment
    monkeypatch.delenv("POS_TERMINAL_ROOT")
    monkeypatch.setattr(releases.sys, "prefix", str(tmp_path / "checkout" / ".venv"))
    assert Layout.at().root == releases.DEFAULT_ROOT                           # a development venv
