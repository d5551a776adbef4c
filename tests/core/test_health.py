"""The one health policy: which printer states stop receipts (issue #11 item 4)."""
from __future__ import annotations

import pytest

from drivers.printers import PrinterStatus
from terminal.health import PendingSummary, TerminalHealth, printer_health


@pytest.mark.parametrize("status, ok", [(PrinterStatus.READY, True), (PrinterStatus.PAPER_LOW, True),
                                        (PrinterStatus.UNKNOWN, True), (PrinterStatus.DISABLED, True),
                                        (PrinterStatus.PAPER_OUT, False), (PrinterStatus.OFFLINE, False)])
def test_printer_ok_is_defined_once(status, ok):
    health = printer_health("serial", status.value, "x")
    assert health.ok is ok
    assert health.to_api() == {"kind": "serial", "status": status.value, "ok": ok, "message": "x"}


def test_a_fault_or_a_printer_problem_makes_the_terminal_not_ok():
    idle = PendingSummary(0, 0)
    assert TerminalHealth(printer_health("none", "DISABLED"), idle).ok
    assert not TerminalHealth(printer_health("file", "OFFLINE"), idle).ok
    assert not TerminalHealth(printer_health("file", "READY"), idle, ["KEY_NOT_FOUND"]).ok
