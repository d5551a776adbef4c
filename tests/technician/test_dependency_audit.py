"""The dependency audit CI runs (issue #12 item 12): it really compares versions, the venv's
pip and setuptools are upgraded past their advisories, every pin is a fixed version, and the
audit never passes without having checked anything."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "scripts" / "audit_deps.py")
audit = importlib.util.module_from_spec(spec)
sys.modules["audit_deps"] = audit          # dataclasses look their module up
spec.loader.exec_module(audit)


@pytest.fixture(scope="module")
def advisories():
    return audit.load_advisories()[0]


def test_old_pip_and_setuptools_are_flagged(advisories):
    found = audit.check({"pip": "23.2.1", "setuptools": "65.5.0", "requests": "2.31.0"}, advisories)
    ids = {(f.package, f.id) for f in found}
    assert ("pip", "CVE-2025-8869") in ids and ("setuptools", "CVE-2025-47273") in ids
    assert ("requests", "CVE-2024-47081") in ids
    assert audit.check({"pip": "26.3", "setuptools": "84.2.1", "requests": "2.34.2"}, advisories) == []


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt", "requirements-bootstrap.txt"])
def test_every_pin_is_a_fixed_version(advisories, name):
    pins = {audit.canonicalize_name(k): v for k, v in _pins(ROOT / name).items()}
    assert pins, name
    assert audit.check(pins, advisories) == []


def test_this_environment_passes_the_audit(capsys):
    """The venv bootstrap.sh made: its pip and setuptools were upgraded (venv's own are flagged)."""
    assert audit.main([]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "no installed version is affected" in out and "NOT covered" in out


def test_the_audit_never_passes_silently(tmp_path, capsys):
    assert audit.main(["--advisories", str(tmp_path / "missing.toml")]) == 2
    stale = tmp_path / "stale.toml"
    old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    stale.write_text(f'updated = "{old}"\nmax_age_days = 120\n[[advisory]]\npackage = "pip"\naffected = "<1"\n'
                     'fixed = "1"\nid = "X"\n')
    assert audit.main(["--advisories", str(stale)]) == 2
    assert "last reviewed 400 days ago" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(f'updated = "{dt.date.today()}"\nmax_age_days = 120\n[[advisory]]\npackage = "pip"\n'
                   'affected = "not a specifier"\nfixed = "1"\nid = "X"\n')
    assert audit.main(["--advisories", str(bad)]) == 2


def test_feed_mode_fails_loudly_when_the_feed_cannot_be_used(monkeypatch, capsys):
    class Done:
        returncode, stdout = 1, ""
        stderr = "/usr/bin/python: No module named pip_audit"
    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: Done())
    assert audit.main(["--feed"]) == 2
    assert "FAILED TO RUN" in capsys.readouterr().err
