"""The generated Mosquitto configuration: TLS only, no anonymous clients, and the ACL confines
each terminal to its own topics (a terminal cannot read or write another's)."""
from __future__ import annotations

import queue

import pytest

from tests.fleet.mqttc import Probe


def test_tls_and_passwords_are_required(broker):
    good = broker.add_terminal("T-acl-1")
    wrong = Probe(broker, "T-acl-1", good + "x")
    assert not wrong.wait_connected()
    wrong.close()
    anonymous = Probe(broker, "", "")
    assert not anonymous.wait_connected()
    anonymous.close()
    ok = Probe(broker, "T-acl-1", good)
    assert ok.wait_connected()
    ok.close()
    # plain MQTT (no TLS) gets no CONNACK: the listener speaks TLS only
    import socket
    connect = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 0])
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as raw:
        raw.sendall(connect)
        try:
            answer = raw.recv(4)
        except (TimeoutError, ConnectionResetError):
            answer = b""
    assert not answer.startswith(b"\x20")


def test_a_terminal_cannot_read_or_write_another_terminals_topics(broker):
    pa, pb = broker.add_terminal("T-acl-a"), broker.add_terminal("T-acl-b")
    console = Probe(broker, "fleet-console", broker.console_password())
    a, b = Probe(broker, "T-acl-a", pa), Probe(broker, "T-acl-b", pb)
    assert console.wait_connected() and a.wait_connected() and b.wait_connected()
    try:
        console.subscribe("pos/#")
        # b cannot subscribe to a's commands (nor to everything): the broker grants nothing
        b.subscribe("pos/t/T-acl-a/cmd")
        b.subscribe("pos/#")
        a.subscribe("pos/t/T-acl-a/cmd")
        console.publish("pos/t/T-acl-a/cmd", b"for-a")
        assert a.next()[:2] == ("pos/t/T-acl-a/cmd", b"for-a")
        # b writes a status under a's id: the broker drops it; b's own status goes through
        b.publish("pos/t/T-acl-a/status", b"forged", retain=True)
        b.publish("pos/t/T-acl-b/status", b"genuine")
        seen = []
        while True:
            topic, payload, _ = console.next()
            seen.append((topic, payload))
            if payload == b"genuine":
                break
        assert ("pos/t/T-acl-a/status", b"forged") not in seen
        assert ("pos/t/T-acl-b/status", b"genuine") in seen
        with pytest.raises(queue.Empty):      # nothing for a ever reached b
            while True:
                topic, payload, _ = b.next(timeout=0.5)
                assert "T-acl-a" not in topic, (topic, payload)
        # a terminal cannot publish commands, even to itself
        a.publish("pos/t/T-acl-a/cmd", b"self-issued")
        console.publish("pos/t/T-acl-a/cmd", b"marker")
        assert a.next()[1] == b"marker"
    finally:
        for p in (console, a, b):
            p.close()
