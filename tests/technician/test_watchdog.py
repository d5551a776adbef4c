"""sd_notify over $NOTIFY_SOCKET: READY=1, WATCHDOG=1 only while healthy, STOPPING=1."""
from __future__ import annotations

import os
import socket

import pytest

from terminal.watchdog import Watchdog, sd_notify


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield str(path), sock
    sock.close()


def _pending(sock) -> list[str]:
    sock.setblocking(False)
    out = []
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(5)
    return out


def test_messages(notify_socket):
    path, sock = notify_socket
    dog = Watchdog(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert dog.enabled and dog.interval_s == 15.0
    assert dog.ready()
    assert sock.recv(4096).decode().startswith("READY=1\n")
    assert dog.beat(lambda: True)
    assert "WATCHDOG=1" in _pending(sock)
    assert not dog.beat(lambda: False)
    assert not any("WATCHDOG=1" in m for m in _pending(sock))   # unhealthy: systemd will restart us
    assert not dog.beat(lambda: 1 / 0)                           # a raising check is unhealthy too
    assert dog.stopping()
    assert "STOPPING=1" in _pending(sock)


def test_no_systemd_is_a_no_op():
    dog = Watchdog(environ={})
    assert not dog.enabled and not dog.ready() and not dog.beat(lambda: True)
    dog.start(lambda: True)        # no thread outside systemd
    assert dog._thread is None
    assert not sd_notify("READY=1", environ={"NOTIFY_SOCKET": "/nonexistent/notify.sock"})


def test_abstract_socket():
    name = f"pos-terminal-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    try:
        assert sd_notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_thread_beats_and_composition_root_notifies(notify_socket, provisioned, monkeypatch):
    path, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    from terminal.config import load_config
    from terminal.wiring import build_terminal

    terminal = build_terminal(load_config(provisioned))
    try:
        assert sock.recv(4096).decode().startswith("READY=1")
        seen = [sock.recv(4096).decode() for _ in range(2)]      # blocks (bounded) until the thread beats
        assert any(m == "WATCHDOG=1" for m in seen), seen
    finally:
        terminal.close()
    messages = _pending(sock)
    assert "STOPPING=1" in messages
