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


def test_reads_that_are_not_payment_codes_are_reported_and_the_sale_keeps_waiting(tmp_path, sandbox):
    """A product barcode and a URL read by the serial scanner during a control-API sale: each is
    an event with its reason, the sale stays AWAITING_SCAN, and the payment code then charges."""
    import time

    with VirtualSerialDevice(suffix="CR") as device:
        path = write_terminal_config(tmp_path, sandbox, control={"enabled": True},
                                     scanner={"kind": "serial", "port": device.port, "suffix": "CR"})
        served = serve_terminal(path)
        try:
            assert served.control.scanner.ready.wait(10), served.control.scanner.health()
            client = served.client()
            tx = client.sale("3.20")
            device.type_code("4006381333931")
            device.type_code("https://shop.example/p/42")

            def rejected():
                return [e["detail"].get("reason") for e in served.terminal.events.since(0)
                        if e["kind"] == "scan_rejected"]

            deadline = time.monotonic() + 20     # bounded wait for the scanner thread
            while len(rejected()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rejected() == ["PRODUCT_BARCODE", "NOT_A_PAYMENT_CODE"]
            assert client.status().state == "AWAITING_SCAN"
            device.type_code(code_for("0000"))
            assert client.wait(tx).state == "APPROVED"
        finally:
            stop_served(served)
