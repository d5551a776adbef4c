"""deploy/install.sh's logic, run for real without root: the script defines functions and runs
main() only when executed, so these tests source it and call parse_args, render_unit and
systemd_running. PATH holds only the few tools those functions use (no apt-get, useradd,
systemctl): a script that ran its side effects on `source` would fail here, never install."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install.sh"
UNIT = ROOT / "deploy" / "pos-terminal.service"
TOOLS = ("sed", "awk", "cat", "grep")


@pytest.fixture
def sourced(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    bash = shutil.which("bash")
    assert bash

    def run(snippet: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([bash, "-c", f'source "{SCRIPT}"; {snippet}'], capture_output=True, text=True,
                              timeout=30, check=False, cwd=tmp_path,
                              env={"PATH": str(bin_dir), "HOME": str(tmp_path), **env})
    return run


ECHO = 'echo "$SERVICE_USER|$PREFIX|$STATE_DIR|$ENABLE"'


def test_sourcing_runs_nothing_and_the_defaults_are_the_documented_ones(sourced):
    proc = sourced(f"parse_args; {ECHO}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "pos|/opt/pos-terminal|/var/lib/pos-terminal|1"
    assert "==>" not in proc.stdout + proc.stderr


def test_the_technician_chooses_user_prefix_and_state_dir(sourced):
    proc = sourced(f"parse_args --user pose2e --prefix /opt/pos-e2e/ --state-dir=/srv/pos-state --no-enable; {ECHO}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "pose2e|/opt/pos-e2e|/srv/pos-state|0"


@pytest.mark.parametrize(("args", "says"), [
    ("--user", "--user needs a value"),                         # was: "$2: unbound variable", exit 1
    ("--prefix --no-enable", "--prefix needs a value"),         # was: --prefix=--no-enable
    ("--state-dir ''", "--state-dir needs a value"),
    ("--prefix opt/pos", "must be an absolute path"),
    ("--prefix '/opt/my pos'", "use only letters"),             # unquoted in the unit, broke ExecStart
    ("--prefix '/opt/a#b'", "use only letters"),                # broke the sed that rewrites the unit
    ("--state-dir /var/lib/../tmp", "no . or .. components"),
    ("--state-dir /opt/pos-terminal/state", "must not contain each other"),
    ("--user Pos", "lower case"),
    ("--user root", "runs unprivileged"),
    ("--frobnicate", "unknown option: --frobnicate"),
])
def test_bad_arguments_exit_2_with_what_to_do(sourced, args, says):
    proc = sourced(f"parse_args {args}; echo PARSED")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert says in proc.stderr and "usage:" in proc.stderr and "PARSED" not in proc.stdout


def test_help_prints_the_header_without_root(sourced):
    proc = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0 and "--state-dir" in proc.stdout and "set -euo" not in proc.stdout


def _render(sourced, user="pose2e", group="pose2e", prefix="/opt/pos-e2e", state="/var/lib/pos-e2e") -> str:
    proc = sourced(f'render_unit "{UNIT}" {user} {group} {prefix} {state}')
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_unit_is_rewritten_for_the_chosen_user_prefix_and_state_dir(sourced):
    unit = _render(sourced)
    assert "/opt/pos-terminal" not in unit and "/var/lib/pos-terminal" not in unit
    lines = unit.splitlines()
    assert "User=pose2e" in lines and "Group=pose2e" in lines
    assert "Environment=POS_TERMINAL_STATE_DIR=/var/lib/pos-e2e" in lines
    assert "Environment=KIVY_HOME=/var/lib/pos-e2e/kivy" in lines
    assert "ExecStart=/opt/pos-e2e/current/bin/pos-terminal --config /var/lib/pos-e2e/terminal.toml run" in lines
    assert "ReadWritePaths=/var/lib/pos-e2e" in lines
    assert "Environment=POS_TERMINAL_ROOT=/opt/pos-e2e" in lines     # update --recover at boot looks there
    assert "StateDirectory=pos-e2e" in lines                 # was left at pos-terminal: a second state dir
    assert len(lines) == len(UNIT.read_text().splitlines())


def test_a_state_dir_outside_var_lib_drops_state_directory(sourced):
    unit = _render(sourced, prefix="/var/lib/pos-terminal/app", state="/srv/pos")
    assert "StateDirectory=" not in unit and "StateDirectoryMode=" not in unit
    assert "ReadWritePaths=/srv/pos" in unit.splitlines()
    # a prefix holding the default state path is not rewritten a second time
    assert "ExecStart=/var/lib/pos-terminal/app/current/bin/pos-terminal --config /srv/pos/terminal.toml run" \
        in unit.splitlines()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_the_rendered_unit_passes_systemd_analyze_verify(sourced, tmp_path):
    unit = tmp_path / "pos-terminal.service"
    unit.write_text(_render(sourced, prefix="/opt/pos-e2e").replace("/opt/pos-e2e/current/bin/pos-terminal",
                                                                    shutil.which("true") or "/bin/true"))
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_systemd_running_is_sd_booted(sourced, tmp_path):
    (tmp_path / "run-systemd").mkdir()
    assert sourced("systemd_running", SYSTEMD_RUN_DIR=str(tmp_path / "run-systemd")).returncode == 0
    assert sourced("systemd_running", SYSTEMD_RUN_DIR=str(tmp_path / "absent")).returncode == 1


def test_main_reloads_systemd_only_where_it_runs_and_uses_debians_python():
    """Ran for real on a Debian 12 machine without systemd as PID 1 (a chroot or image build has
    the same): `systemctl daemon-reload` failed and stopped the install before the udev rule,
    unit and journald limits; a venv made by root's pyenv `python3` could not be run by the
    service user (/root is 0700). The whole of main() needs root and apt: these are its guards."""
    text = SCRIPT.read_text()
    main = text[text.index("main() {"):]
    assert "if [[ $SYSTEMD -eq 1 ]]; then\n        systemctl daemon-reload" in main
    assert "if [[ $SYSTEMD -eq 1 ]]; then\n        systemctl restart systemd-journald\n" in main
    assert "install -d -m 0755 /etc/udev/rules.d" in main
    assert "\n        python3 -m venv" not in main and "|| python3 -m venv" not in main and 'local PYTHON=/usr/bin/python3' in main
    assert 'runuser -u "$SERVICE_USER" -- "$REL/bin/pos-terminal" --help' in main


@pytest.mark.parametrize(("new", "current", "older"), [
    ("0.1.0", "0.1.1", True),
    ("0.2.0rc1", "0.2.0", True),          # sort -V says the reverse
    ("0.9.0", "0.10.0", True),
    ("0.10.0", "0.9.0", False),
    ("0.1.1", "0.1.0", False),
])
def test_an_older_checkout_is_told_apart_from_an_upgrade(sourced, new, current, older):
    """Run from an older checkout, install.sh went through `pos-terminal update` to the older
    release without a word (seen for real: 0.1.1 -> 0.1.0); it now refuses and names `rollback`."""
    proc = sourced(f'version_older {new} {current} "{sys.executable}"')
    assert proc.returncode == (0 if older else 1), proc.stderr
    main = SCRIPT.read_text()
    assert 'elif version_older "$VERSION" "$CURRENT"' in main and 'back="rollback --to $VERSION"' in main
