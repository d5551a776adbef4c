"""A full disk and a read-only journal (issue #12 item 7): each is a terminal fault that says
what to do (exit 3 / HTTP 503 with its code), never "internal error"; nothing is sent to the
acquirer for a payment that could not be journalled; `diagnose` fails on both.

The real conditions need a small file system of our own: a tmpfs mounted for the test (root,
as in CI). Where mounting is not allowed, the same paths are driven by an injected OSError.
"""
from __future__ import annotations

import errno
import subprocess
from pathlib import Path

import pytest

from terminal.demo_codes import code_for
from terminal.errors import FaultError
from terminal.journal import Journal
from tests.support import build, write_terminal_config

pytestmark = pytest.mark.usefixtures("_no_faults")


@pytest.fixture
def _no_faults(sandbox):
    sandbox.reset_faults()
    yield


@pytest.fixture
def small_fs(tmp_path):
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected-error tests cover it")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def test_disk_full_mid_sale_is_a_disk_full_fault_and_nothing_is_sent(small_fs, sandbox):
    config = write_terminal_config(small_fs, sandbox)
    terminal = build(config)
    try:
        terminal.recover()
        terminal.sale(terminal.parse_amount("1.00"), code_for("0000"))     # fine with room
        before_seq = terminal.events.last_seq()
        filler = _fill(small_fs)
        with pytest.raises(FaultError) as info:
            terminal.sale(terminal.parse_amount("2.00"), code_for("0000"))
        assert info.value.code == "DISK_FULL" and info.value.exit_code == 3
        assert "disk is full" in info.value.message and "Free space" in info.value.message
        assert terminal.events.last_seq() == before_seq   # nothing journalled, so nothing was sent
        filler.unlink()
        assert terminal.sale(terminal.parse_amount("3.00"), code_for("0000")).state.value == "APPROVED"
    finally:
        terminal.close()


@pytest.fixture
def read_only_state(small_fs, sandbox, tmp_path):
    """A provisioned state directory, then seen through a read-only bind mount (as after the
    kernel remounted a failing SD card read-only)."""
    config = write_terminal_config(small_fs, sandbox)
    build(config).close()
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(small_fs / "state"), str(view)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
    text = config.read_text().replace(str(small_fs / "state"), str(view))
    config.write_text(text)
    yield config, view
    subprocess.run(["umount", "-l", str(view)], check=False)


def test_read_only_journal_is_a_read_only_fault(read_only_state):
    config, view = read_only_state
    with pytest.raises(FaultError) as info:
        build(config)
    assert info.value.code == "STORAGE_READ_ONLY" and "read-only" in info.value.message
    assert "remount" in info.value.message and str(view) in info.value.message


@pytest.mark.parametrize("err, code", [(errno.ENOSPC, "DISK_FULL"), (errno.EROFS, "STORAGE_READ_ONLY"),
                                       (errno.EACCES, "STORAGE_NO_ACCESS")])
def test_injected_storage_errors_opening_the_journal(tmp_path, monkeypatch, err, code):
    real_open = __import__("os").open

    def failing_open(path, *args, **kwargs):
        if str(path).endswith("journal.sqlite"):
            raise OSError(err, __import__("os").strerror(err), str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("terminal.journal.os.open", failing_open)
    with pytest.raises(FaultError) as info:
        Journal(tmp_path / "journal.sqlite")
    assert info.value.code == code and str(tmp_path / "journal.sqlite") in info.value.message


def _diagnose(config) -> dict:
    from terminal.diagnostics import run_diagnostics
    return {c.name: c for c in run_diagnostics(str(config), network=False).checks}


def test_diagnose_fails_on_a_full_disk_and_warns_when_low(small_fs, sandbox):
    from terminal.storage_check import check_storage
    config = write_terminal_config(small_fs, sandbox)
    state = small_fs / "state"
    assert check_storage(state, min_free=1024, warn_free=1024).status == "PASS"
    low = check_storage(state, min_free=1024, warn_free=64 * 1024 * 1024)
    assert low.status == "WARN" and "free" in low.detail
    filler = _fill(small_fs)
    full = _diagnose(config)["storage"]
    assert full.status == "FAIL" and "failed" in full.detail and "disk is full" in full.fix
    filler.unlink()


def test_diagnose_fails_on_a_read_only_state_dir(read_only_state):
    config, _view = read_only_state
    storage = _diagnose(config)["storage"]
    assert storage.status == "FAIL" and "read-only" in storage.detail and "remount" in storage.fix


def test_diagnose_fails_when_a_write_is_refused(tmp_path, monkeypatch):
    from terminal.storage_check import check_storage

    def refuse(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("terminal.storage_check.os.write", refuse)
    check = check_storage(tmp_path, min_free=0, warn_free=0)
    assert check.status == "FAIL" and "disk is full" in check.fix
    assert list(tmp_path.iterdir()) == []            # the probe was removed
