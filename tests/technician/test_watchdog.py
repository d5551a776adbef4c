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


class _FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _face(journal, liveness):
    """What the watchdog asks of a Terminal (upkeep.check_journal, upkeep.liveness), on a real journal."""
    from types import SimpleNamespace

    from terminal.upkeep import Surroundings, Upkeep

    return SimpleNamespace(upkeep=Upkeep(around=Surroundings(liveness=liveness), journal=journal, config=None,
                                         between_payments=None))


def test_frozen_ui_loop_stops_the_pings(notify_socket, tmp_path):
    """The bug: UI thread blocked 15 s with WatchdogSec=4 and the pings went on every 2 s, because
    only the journal was asked. Now a stale "ui loop" (or worker) heartbeat stops WATCHDOG=1."""
    from terminal.journal import Journal
    from terminal.watchdog import Liveness, terminal_healthy

    path, sock = notify_socket
    clock = _FakeClock()
    journal = Journal(tmp_path / "journal.sqlite")
    terminal = _face(journal, Liveness(clock=clock))
    ui_beat = terminal.upkeep.liveness.heartbeat("ui loop", 5.0)
    worker_beat = terminal.upkeep.liveness.heartbeat("payment worker", 120.0)
    dog = Watchdog(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert dog.interval_s == 2.0
    try:
        for _ in range(3):               # a live UI: ticks every second, beats every 2 s
            clock.now += 2
            ui_beat.tick()
            worker_beat.tick()
            assert dog.beat(lambda: terminal_healthy(terminal))
        assert _pending(sock).count("WATCHDOG=1") == 3
        for _ in range(7):               # the UI thread blocks for 14 s: no tick
            clock.now += 2
            worker_beat.tick()
            dog.beat(lambda: terminal_healthy(terminal))
        pings = [m for m in _pending(sock) if m == "WATCHDOG=1"]
        assert len(pings) == 2           # 2 s and 4 s into the freeze, then none (systemd restarts)
        clock.now += 1
        ui_beat.tick()                   # the loop is back
        assert dog.beat(lambda: terminal_healthy(terminal))
        clock.now += 200                 # a wedged worker pool stops them too
        ui_beat.tick()
        assert not dog.beat(lambda: terminal_healthy(terminal))
        assert terminal.upkeep.liveness.stale() == ["payment worker 201.0 s"]
    finally:
        journal.close()


def test_blocked_heartbeat_thread_stops_the_pings(notify_socket, tmp_path):
    """Real threads and a real clock: the watchdog thread beats; a loop that blocks stops it."""
    import threading

    from terminal.journal import Journal
    from terminal.watchdog import Liveness, terminal_healthy

    path, sock = notify_socket
    journal = Journal(tmp_path / "journal.sqlite")
    terminal = _face(journal, Liveness())
    beat = terminal.upkeep.liveness.heartbeat("ui loop", 0.3)
    blocked, stop = threading.Event(), threading.Event()

    def ui_loop():
        while not stop.is_set():
            if blocked.is_set():
                stop.wait()                   # the frozen UI thread
            beat.tick()
            stop.wait(0.02)
    loop = threading.Thread(target=ui_loop, daemon=True)
    loop.start()
    dog = Watchdog(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "100000"})
    dog.start(lambda: terminal_healthy(terminal))
    try:
        assert sock.recv(4096).decode() in ("WATCHDOG=1", "STATUS=ready for payments")
        blocked.set()
        while True:                            # bounded by the socket's 5 s timeout
            if sock.recv(4096).decode() == "STATUS=unhealthy: see the log":
                break
        dog.stop()
        assert "WATCHDOG=1" not in _pending(sock)
    finally:
        stop.set()
        dog.stop()
        journal.close()


def test_a_beat_while_the_terminal_closes_reports_nothing(notify_socket, tmp_path, caplog):
    """Under systemd the journal closes before STOPPING=1 is sent; a beat in between logged "the
    journal does not answer" and set STATUS=unhealthy, on every clean stop. It sends nothing now."""
    import logging

    from terminal.journal import Journal
    from terminal.watchdog import Liveness, terminal_healthy

    path, sock = notify_socket
    journal = Journal(tmp_path / "journal.sqlite")
    terminal = _face(journal, Liveness())
    dog = Watchdog(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert dog.beat(lambda: terminal_healthy(terminal))
    assert _pending(sock) == ["STATUS=ready for payments", "WATCHDOG=1"]
    journal.close()
    with caplog.at_level(logging.WARNING, logger="terminal.watchdog"):
        assert not dog.beat(lambda: terminal_healthy(terminal))
    assert _pending(sock) == [] and caplog.records == []
    assert dog.stopping() and _pending(sock) == ["STOPPING=1"]
