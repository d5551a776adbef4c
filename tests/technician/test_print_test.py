"""`pos-terminal print-test`: a test slip (locale text, Chinese, the printer status, a QR)
through the configured printer; exit 0 printed, 3 not printed with the printer's advice. The
technician screen's Test print calls the same terminal.receipts.print_test."""
from __future__ import annotations

import json
import tomllib

import tomli_w

from tests.support import run_cli


def _printer(config, **values):
    data = tomllib.loads(config.read_text())
    data["printer"] = values
    config.write_text(tomli_w.dumps(data))


def test_prints_a_slip_with_status_chinese_and_qr(provisioned, tmp_path):
    out = tmp_path / "slip.txt"
    _printer(provisioned, kind="file", path=str(out))
    proc = run_cli(provisioned, "--json", "print-test")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["printed"] is True
    text = out.read_text()
    assert "TEST PRINT" in text and "READY" in text and "收据打印测试" in text and "[QR" in text
    assert run_cli(provisioned, "print-test", "--locale", "fr_CA").returncode == 0
    assert "1 234,56" in out.read_text().replace("\u202f", " ").replace("\xa0", " ")


def test_the_slip_on_an_escpos_printer():
    from pathlib import Path

    from drivers.printers.escpos_render import render_escpos
    from terminal.config import load_config
    from terminal.receipts import ReceiptBuilder

    config = load_config(str(Path(__file__).resolve().parents[2] / "config" / "demo.toml"))
    doc = ReceiptBuilder(config=config).test_slip(kind="usb", status="READY", message="", when="2026-01-02T03:04:05Z",
                                                  locale="zh_Hans")
    data = render_escpos(doc, width=32, cjk="gb18030")
    assert b"TEST PRINT" in data and b"READY" in data and b"\x1d(k" in data     # GS ( k: a native QR
    assert "收据打印测试".encode("gb18030") in data


def test_not_printed_is_exit_3_with_the_advice(provisioned, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    _printer(provisioned, kind="file", path=str(blocker / "receipts.txt"))
    proc = run_cli(provisioned, "print-test")
    assert proc.returncode == 3
    assert "test slip not printed" in proc.stderr and "printer.path" in proc.stderr


def test_terminal_print_test_is_the_same_slip(provisioned, tmp_path):
    from terminal.config import load_config
    from terminal.wiring import build_terminal

    out = tmp_path / "slip.txt"
    _printer(provisioned, kind="file", path=str(out))
    terminal = build_terminal(load_config(provisioned))
    try:
        result = terminal.receipts.print_test()
    finally:
        terminal.close()
    assert result.printed and "TEST PRINT" in out.read_text() and "中文" in out.read_text()
