"""`sale --scan` with a serial scanner (a virtual one on a pty) and with the virtual scanner."""
from __future__ import annotations

import json

from drivers.scanners.virtual_serial import VirtualSerialDevice
from terminal.demo_codes import code_for
from tests.support import cli_json, popen_cli, write_terminal_config


def test_sale_with_serial_scanner(tmp_path, sandbox):
    with VirtualSerialDevice(suffix="CRLF") as device:
        config = write_terminal_config(tmp_path, sandbox,
                                       scanner={"kind": "serial", "port": device.port, "suffix": "CRLF"})
        proc = popen_cli(config, "--json", "sale", "--amount", "4.50", "--scan")
        try:
            for line in proc.stderr:           # bounded: the process ends or says ready
                if "scanner ready" in line:
                    break
            device.write(b"\x00\xff junk\r\n")  # a line of noise before the scan is dropped
            device.type_code(code_for("0000"))
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    tx = json.loads(out)
    assert tx["state"] == "APPROVED" and tx["maskedCode"] == "281012**********00"


def test_sale_with_virtual_scanner_reads_stdin(config_path):
    rc, tx = cli_json(config_path, "sale", "--amount", "1.25", "--scan", input=code_for("0051") + "\r\n")
    assert rc == 1 and tx["resultCode"] == "USER_BALANCE_NOT_ENOUGH"


def test_sale_scan_keeps_waiting_past_reads_that_are_not_payment_codes(tmp_path, sandbox):
    """Power-up junk, a product's EAN-13, a URL: each is reported and the sale keeps waiting;
    then a code arriving with a 200 ms pause inside is read whole and charged. Before, the
    first readable non-code ended the sale with exit 2, and the pause cut the code in two."""
    with VirtualSerialDevice(suffix="CR") as device:
        config = write_terminal_config(tmp_path, sandbox, scanner={
            "kind": "serial", "port": device.port, "suffix": "CR", "inter_char_timeout_s": 1.0})
        proc = popen_cli(config, "--json", "sale", "--amount", "4.75", "--scan")
        seen = []
        try:
            for line in proc.stderr:
                seen.append(line)
                if "scanner ready" in line:
                    break
            device.write(b"J#k1\r")                             # power-up junk that is printable
            device.type_code("4006381333931")                   # a product barcode (EAN-13)
            device.type_code("https://shop.example/p/42")        # a URL from a QR
            refusals = 0
            for line in proc.stderr:                            # bounded: each read is answered
                seen.append(line)
                refusals += "scan refused" in line
                if refusals == 3:
                    break
            device.type_code(code_for("0000"), pause_after=8, pause_s=0.2)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    err = "".join(seen) + err
    assert proc.returncode == 0, err
    tx = json.loads(out)
    assert tx["state"] == "APPROVED" and tx["maskedCode"] == "281012**********00"
    assert "PRODUCT_BARCODE" in err and err.count("NOT_A_PAYMENT_CODE") == 2
    assert "4006381333931" not in err and "shop.example" not in err     # refused reads are masked
    assert "still waiting" in err


def test_sale_scan_on_stdin_skips_lines_that_are_not_codes(config_path):
    rc, tx = cli_json(config_path, "sale", "--amount", "1.40", "--scan",
                      input="hello\n036000291452\n" + code_for("0000") + "\n")
    assert rc == 0 and tx["state"] == "APPROVED"
