"""A configured (non-virtual) scanner feeds the checkout; POST /v1/scans is then refused."""
from __future__ import annotations

import requests

from drivers.scanners.virtual_serial import VirtualSerialDevice
from tests.support import write_terminal_config

from .conftest import code_for, serve_terminal, stop_served


def test_serial_scanner_feeds_the_sale(tmp_path, sandbox):
    with VirtualSerialDevice(suffix="CR") as device:
        path = write_terminal_config(tmp_path, sandbox, control={"enabled": True},
                                     scanner={"kind": "serial", "port": device.port, "suffix": "CR"})
        served = serve_terminal(path)
        try:
            assert served.control.scanner.ready.wait(10), served.control.scanner.health()
            client = served.client()
            status = client.status()
            assert status.scansEnabled is False and status.devices.scanner.kind == "serial"
            assert status.devices.scanner.status == "READY"
            tx = client.sale("2.50")
            refused = requests.post(f"{served.url}/v1/scans", headers=served.headers(), json={"code": "1"})
            assert refused.status_code == 403
            device.type_code(code_for("0000"))
            assert client.wait(tx).state == "APPROVED"
            assert len(client.transactions()) == 1
        finally:
            stop_served(served)
