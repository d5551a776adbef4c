"""The event stream is long-lived (an ECR keeps one open all day): the request-body stall
limit must not end it. It did: the body timeout also bounded the wait for a disconnect that a
streaming answer does, so every stream was cut after body_timeout_s (10 s) and a register
reading it saw "Response ended prematurely" mid-sale."""
from __future__ import annotations

import time

import pytest

from terminal.control import ControlServer, build_control
from terminal.control.client import TerminalClient
from terminal.control.limits import ControlLimits

from .conftest import code_for

BODY_TIMEOUT_S = 0.5


@pytest.fixture
def quick_stream(served):
    limits = ControlLimits(header_timeout_s=5, idle_s=5, body_timeout_s=BODY_TIMEOUT_S, max_connections=8)
    control = build_control(served.terminal, token=served.token, wire_scanner=False, print_receipts=False,
                            limits=limits, heartbeat_s=0.1)
    server = ControlServer(control.app, host="127.0.0.1", port=0, limits=limits).start()
    yield served, server
    server.stop()
    control.close()


def test_an_event_stream_outlives_the_body_timeout(quick_stream):
    served, server = quick_stream
    client = TerminalClient(server.url, served.token)
    try:
        with client.events(timeout=10, heartbeats=True) as stream:
            until = time.monotonic() + 4 * BODY_TIMEOUT_S
            for record in stream:          # heartbeats every 0.1 s: the stream is read throughout
                if time.monotonic() > until:
                    break
            tx = client.sale("2.00")
            client.scan(code_for("0000"))
            for record in stream:          # the same stream still delivers the sale's result
                if (record is not None and record.txId == tx.id and record.kind == "checkout"
                        and record.detail.get("state") == "RESULT"):
                    assert record.detail.get("txState") == "APPROVED"
                    break
            else:
                pytest.fail("the event stream ended")
    finally:
        client.close()
