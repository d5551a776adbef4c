"""The acquirer link from real traffic and a light TCP probe; a sale refused up front only when
the link is known down (and a probe at that moment fails too)."""
from __future__ import annotations

import socket

import pytest

from terminal.acquirer import AcquirerResult
from terminal.connectivity import (
    OFFLINE,
    ONLINE,
    UNKNOWN,
    AcquirerUnreachable,
    Connectivity,
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_unreached_calls_make_the_link_offline_and_any_answer_brings_it_back():
    link = Connectivity(base_url=f"http://127.0.0.1:{closed_port()}", connect_timeout_s=1)
    assert link.state == UNKNOWN
    refused = AcquirerResult("U", "TRANSPORT_CONNECTION", transport_error="TRANSPORT_CONNECTION")
    link.record_exchange("/v1/payments/pay", refused)
    assert link.state == UNKNOWN            # one miss is not enough
    link.record_exchange("/v1/payments/inquiryPayment", refused)
    assert link.state == OFFLINE
    link.record_exchange("/v1/payments/inquiryPayment", AcquirerResult("U", "TRANSPORT_HTTP_STATUS",
                                                                       transport_error="TRANSPORT_HTTP_STATUS"))
    assert link.state == ONLINE             # an HTTP answer, even a 503, came from the acquirer's side


def test_a_sale_is_refused_when_offline_and_the_probe_fails_but_not_once_the_link_is_back():
    port = closed_port()
    link = Connectivity(base_url=f"https://127.0.0.1:{port}", connect_timeout_s=1)
    link.record(False)
    link.record(False)
    with pytest.raises(AcquirerUnreachable, match="Cannot reach the payment network. Not charged."):
        link.refuse_if_unreachable()
    with socket.socket() as server:          # the acquirer is back on the same port
        server.bind(("127.0.0.1", port))
        server.listen()
        link.refuse_if_unreachable()
        assert link.state == ONLINE
