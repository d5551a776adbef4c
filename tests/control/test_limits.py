"""Exhaustion of the control API (issue #12 items 2 and 5): idle connections, slow headers and
bodies, oversized bodies. The register and the acquirer client must keep working throughout,
and nothing is journalled for a refused request."""
from __future__ import annotations

import contextlib
import logging
import os
import resource
import socket
import subprocess
import sys
import textwrap
from urllib.parse import urlparse

import pytest
import requests

from terminal.control import ControlServer, build_control
from terminal.control.limits import ControlLimits, RateLimitedLog

from .conftest import code_for

HOLDER = textwrap.dedent("""
    import resource, socket, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    port, n = int(sys.argv[1]), int(sys.argv[2])
    held, failed = [], 0
    for _ in range(n):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            held.append(s)
        except OSError:
            failed += 1
            s.close()
    print(len(held), failed, flush=True)
    sys.stdin.read()          # hold them until the test is done
""")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _closed_by_server(sock: socket.socket, within_s: float) -> bool:
    sock.settimeout(within_s)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_thousand_idle_connections_starve_neither_the_register_nor_the_acquirer(served, caplog):
    port = urlparse(served.url).port
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The process gets a budget that 1,000 accepted connections would exceed (as LimitNOFILE
    # would on a terminal): the cap, not luck, must keep descriptors for the acquirer.
    budget = _open_fds() + 400
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(budget, hard), hard))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(port), "1000"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        with caplog.at_level(logging.WARNING, logger="terminal.control"):
            held, _failed = map(int, holder.stdout.readline().split())
            assert held >= 900                       # the connections were made (then capped)
            assert _open_fds() < budget - 100       # the server holds at most its cap
            with served.client() as client:
                assert client.status()["state"] == "IDLE"          # the register gets in
                tx = client.sale("3.00")
                client.scan(code_for("0000"))
                assert client.wait(tx).state == "APPROVED"         # and the acquirer is reached
        lines = [r for r in caplog.records if r.name.startswith("terminal.control")]
        assert len(lines) <= 10, [r.getMessage() for r in lines[:20]]
    finally:
        holder.stdin.close()
        holder.wait(30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def quick(served):
    """A second server on the same app with short timeouts."""
    limits = ControlLimits(header_timeout_s=0.5, idle_s=0.5, body_timeout_s=0.5, max_connections=4)
    control = build_control(served.terminal, token=served.token, wire_scanner=False, print_receipts=False,
                            limits=limits)
    server = ControlServer(control.app, host="127.0.0.1", port=0, limits=limits).start()
    yield served, server
    server.stop()
    control.close()


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_silent_and_slow_header_connections_are_closed(quick):
    _served, server = quick
    silent = _connect(server)
    slow = _connect(server)
    slow.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")        # never finishes its headers
    assert _closed_by_server(silent, 5)
    assert _closed_by_server(slow, 5)


def test_idle_keep_alive_is_closed_and_the_next_request_gets_its_own_deadline(quick):
    served, server = quick
    sock = _connect(server)
    sock.sendall(f"GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {served.token}\r\n\r\n".encode())
    sock.settimeout(5)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert _closed_by_server(sock, 5)


def test_at_the_cap_the_longest_idle_connection_makes_room(quick):
    served, server = quick
    idle = [_connect(server) for _ in range(4)]
    with requests.Session() as s:
        r = s.get(server.url + "/v1/status", headers=served.headers(), timeout=10)
    assert r.status_code == 200
    assert _closed_by_server(idle[0], 5)


def test_headers_over_16_kib_are_refused_and_the_connection_closed(served):
    """llhttp sets no header size of its own: a local process streaming headers must not grow
    the terminal's memory. Under the limit is served; over it, 400 and closed, nothing journalled."""
    before = _journal_seq(served)
    server_port = urlparse(served.url).port
    auth = f"Authorization: Bearer {served.token}\r\n"
    with socket.create_connection(("127.0.0.1", server_port), timeout=5) as ok:
        ok.sendall(f"GET /v1/status HTTP/1.1\r\nHost: x\r\n{auth}X-Pad: {'a' * 12_000}\r\n\r\n".encode())
        assert ok.recv(65536).startswith(b"HTTP/1.1 200")
    with socket.create_connection(("127.0.0.1", server_port), timeout=5) as big:
        head = f"GET /v1/status HTTP/1.1\r\nHost: x\r\n{auth}".encode()
        big.sendall(head + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(20)) + b"\r\n")
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := big.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert _journal_seq(served) == before
    with requests.Session() as s:     # the API still serves
        assert s.get(served.url + "/v1/status", headers=served.headers(), timeout=10).status_code == 200


def _journal_seq(served) -> int:
    return served.terminal.events.last_seq()


def test_a_body_over_64_kib_is_refused_with_413_before_it_is_read(served):
    before = _journal_seq(served)
    body = b'{"amount": {"currency": "USD", "value": "100"}, "reference": "' + b"x" * 70_000 + b'", "idempotencyKey": "k"}'
    r = requests.post(served.url + "/v1/sales", data=body, timeout=10,
                      headers={**served.headers(), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "BODY_TOO_LARGE"
    assert "64 KiB" in r.json()["error"]["message"]
    chunked = requests.post(served.url + "/v1/sales", data=iter([body[:40_000], body[40_000:]]), timeout=10,
                            headers={**served.headers(), "Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert _journal_seq(served) == before
    assert served.client().status()["state"] == "IDLE"


def test_a_stalled_body_is_answered_408(quick):
    served, server = quick
    sock = _connect(server)
    sock.sendall(f"POST /v1/sales HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {served.token}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"amount\":".encode())
    sock.settimeout(30)
    answer = b""
    while b"BODY_TIMEOUT" not in answer:      # status line and body may come in separate reads
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b"BODY_TIMEOUT" in answer


def test_rate_limited_log_says_how_many_it_held_back():
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logger = logging.getLogger("test.ratelimited")
    logger.addHandler(Collect())
    now = [0.0]
    limited = RateLimitedLog(logger, interval_s=10, clock=lambda: now[0])
    for _ in range(1000):
        limited.log(logging.ERROR, "accept", "accept failed")
    now[0] = 10.0
    limited.log(logging.ERROR, "accept", "accept failed")
    assert records == ["accept failed", "accept failed (and 999 more like it in the last 10 s)"]
