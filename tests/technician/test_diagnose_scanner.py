"""diagnose tells the truth about a keyboard-wedge scanner that has no input device."""
from __future__ import annotations

import pytest

from drivers.scanners import build_scanner, keyboard_evdev
from terminal.diagnostics import FAIL, PASS, run_diagnostics
from tests.technician.test_diagnose import _by_name, _with


@pytest.fixture
def no_input_device(monkeypatch):
    monkeypatch.setattr(keyboard_evdev.EvdevWedgeScanner, "find_device", classmethod(lambda cls: None))


def test_keyboard_scanner_with_no_device_is_not_reported_ready(provisioned, no_input_device):
    _with(provisioned, "scanner", kind="keyboard")
    check = _by_name(run_diagnostics(str(provisioned)))["scanner"]
    assert check.status == FAIL
    assert "no keyboard-wedge scanner input device" in check.detail or "evdev" in check.detail
    assert "scanner.input" in check.detail


def test_keyboard_scanner_read_by_the_app_is_said_so(provisioned, no_input_device):
    _with(provisioned, "scanner", kind="keyboard", input="app")
    check = _by_name(run_diagnostics(str(provisioned)))["scanner"]
    assert check.status == PASS and "app's keyboard" in check.detail


def test_the_fallback_is_in_the_scanners_health(no_input_device):
    health = build_scanner("keyboard", input="auto").health()
    assert health.details["input"] == "app" and health.details["fallback"]
    assert "fallback" not in build_scanner("keyboard", input="app").health().details
