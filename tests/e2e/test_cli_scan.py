"""`sale --scan` with a serial scanner (a virtual one on a pty) and with the virtual scanner."""
from __future__ import annotations

import json
import subprocess
import sys

from drivers.scanners.virtual_serial import VirtualSerialDevice
from terminal.demo_codes import code_for
from tests.support import cli_env, cli_json, write_terminal_config


def test_sale_with_serial_scanner(tmp_path, sandbox):
    with VirtualSerialDevice(suffix="CRLF") as device:
        config = write_terminal_config(tmp_path, sandbox,
                                       scanner={"kind": "serial", "port": device.port, "suffix": "CRLF"})
        proc = subprocess.Popen([sys.executable, "-m", "terminal.cli.main", "--config", str(config), "--json",
                                 "sale", "--amount", "4.50", "--scan"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=cli_env())
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
