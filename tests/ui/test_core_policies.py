"""Policies the core owns, seen on the touchscreen (issue #11 item 4): the void prints a VOID
slip like the CLI and the control API do, and "printer OK" means the same on the technician
screen as in /v1/status and `pos-terminal diagnose` (printer.kind = "none" is fine)."""
from __future__ import annotations

import pytest

from terminal.config import parse_config
from terminal.diagnostics import check_printer
from tests.support import slips_file
from tests.ui.test_manager_flows import approved_sale, enter_pin, open_in_history

pytestmark = pytest.mark.ui


def receipts_text(ui) -> str:
    path = slips_file(ui.config)
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def test_void_on_the_touchscreen_prints_a_void_slip(ui):
    app = ui.app
    tx = approved_sale(ui, "320")
    open_in_history(ui, tx.id)
    before = receipts_text(ui)
    detail = app.screens["detail"]
    ui.tap(detail.ids.void_btn)
    ui.screen("pin")
    enter_pin(ui, "1234")
    ui.screen("detail")
    ui.idle_until(lambda: detail.tx is not None and detail.tx.state.value == "CANCELLED", what="voided")
    ui.idle_until(lambda: len(receipts_text(ui)) > len(before), what="void slip printed")
    slip = receipts_text(ui)[len(before):]
    assert "VOID" in slip and tx.id in slip and "NOT CHARGED" in slip


def test_printer_none_is_ok_on_every_front_end(ui, tmp_path):
    """The technician screen used to show a red printer row for printer.kind = "none" while
    diagnose and /v1/status said fine."""
    from terminal.wiring import build_terminal
    from ui.diagnostics import gather

    data = ui.config.model_dump(mode="json")
    data["printer"] = {"kind": "none"}
    data["storage"]["state_dir"] = str(tmp_path / "state")
    config = parse_config(data)
    terminal = build_terminal(config)
    try:
        printer = terminal.health().printer
        assert printer.ok and printer.status == "DISABLED" and printer.kind == "none"
        row = next(r for r in gather(terminal, None) if r.label == "Printer")
        assert row.ok is True, row
        assert check_printer(config).status == "PASS"
    finally:
        terminal.close()
