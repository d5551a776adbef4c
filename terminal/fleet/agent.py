"""The fleet agent: a background MQTT client inside `pos-terminal run` / `control`.

Threads: paho's network loop; a heartbeat thread (status when due, heartbeat, fault events);
a command thread (one command at a time, in arrival order). A sale never waits for any of them:
the only thing on a sale's path is EventTap, which bumps a counter. With the broker down or
unreachable, paho keeps reconnecting (1 s .. 30 s) and its outgoing queue is bounded; the last
will marks the terminal offline for the console.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path

from . import staged_config
from .commands import CommandExecutor
from .protocol import topic
from .status import EventTap, collect_status

log = logging.getLogger("terminal.fleet")
CREDENTIALS = "fleet_credentials.json"
STATUS_EVERY = 10          # heartbeats between two status refreshes when nothing changed


def read_credentials(state_dir: Path) -> dict | None:
    try:
        creds = json.loads((Path(state_dir) / CREDENTIALS).read_text())
        return creds if creds.get("username") and creds.get("password") else None
    except (OSError, ValueError):
        return None


class FleetAgent:
    def __init__(self, terminal, *, state_dir: Path, host=None, heartbeat_s: float | None = None,
                 health_probes: dict | None = None):
        fleet = terminal.settings.fleet
        self.terminal = terminal
        self.state_dir = Path(state_dir)
        creds = read_credentials(self.state_dir)
        if creds is None:
            raise ValueError(f"no fleet credentials in {self.state_dir / CREDENTIALS}: enrol the terminal")
        self.terminal_id = creds["username"]
        self._creds = creds
        self.heartbeat_s = heartbeat_s or fleet.heartbeat_s
        self.health_probes = health_probes or {}
        self.tap = EventTap()
        self._unsubscribe = terminal.events.subscribe(self.tap)
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._wake = self.tap.changed      # set on connect, fault, cancel queued, command done, stop
        self._commands: queue.Queue = queue.Queue(maxsize=100)
        self.executor = CommandExecutor(terminal, terminal_id=self.terminal_id, state_dir=self.state_dir,
                                        publish=self._publish_leaf, host=host)
        self.locked = staged_config.load_lock(self.state_dir)
        if self.locked:
            terminal.lock(self.locked)
        self._threads: list[threading.Thread] = []
        self.client = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FleetAgent:
        from .mqtt import make_client

        ca = self.terminal.settings.fleet_ca_bundle
        client = make_client(client_id=self.terminal_id, username=self._creds["username"],
                             password=self._creds["password"], ca_bundle=ca)
        client.will_set(topic(self.terminal_id, "status"), json.dumps({"online": False, "terminalId": self.terminal_id,
                                                                       "reason": "connection lost"}), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *_a, **_k: self._connected.clear()
        client.on_message = self._on_message
        host, port = self.terminal.settings.fleet.address()
        client.connect_async(host, port, keepalive=max(10, int(self.heartbeat_s * 2)))
        client.loop_start()
        self.client = client
        for name, target in (("fleet-heartbeat", self._heartbeat_loop), ("fleet-commands", self._command_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 3.0) -> None:
        """Graceful: say offline (retained), then disconnect. Bounded: never holds up a shutdown."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        self._unsubscribe()
        if self.client is None:
            return
        if self._connected.is_set():
            info = self.client.publish(topic(self.terminal_id, "status"),
                                       json.dumps({"online": False, "terminalId": self.terminal_id,
                                                   "reason": "stopped"}), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=timeout_s)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        for thread in self._threads:
            thread.join(timeout=timeout_s)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- MQTT callbacks (paho's thread: only queue work) -----------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            log.warning("fleet broker refused the connection: %s", reason_code)
            return
        self._connected.set()
        client.subscribe(topic(self.terminal_id, "cmd"), qos=1)
        self._wake.set()

    def _on_message(self, client, userdata, message) -> None:
        try:
            self._commands.put_nowait(message.payload)
        except queue.Full:
            log.warning("fleet command queue full: command dropped (the console re-sends unacknowledged ones)")

    # -- work -------------------------------------------------------------------------------------
    def _publish_leaf(self, leaf: str, payload: dict, *, qos: int = 1, retain: bool = False):
        if self.client is None:
            return None
        return self.client.publish(topic(self.terminal_id, leaf), json.dumps(payload, separators=(",", ":")),
                                   qos=qos, retain=retain)

    def publish_status(self) -> dict:
        status = collect_status(self.terminal, terminal_id=self.terminal_id, state_dir=self.state_dir,
                                locked=self.locked, extra_health=self.health_probes, counts=self.tap.snapshot())
        self._publish_leaf("status", status, retain=True)
        return status

    def _heartbeat_loop(self) -> None:
        """A wake (connect, fault, command done) publishes the status; a timeout, a heartbeat
        (and every STATUS_EVERY-th time the status, so a lost retained one heals)."""
        beats, config_result = 0, staged_config.take_result(self.state_dir)
        while not self._stop.is_set():
            woke = self._wake.wait(self.heartbeat_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            if not self._connected.is_set():
                continue                      # the connect wakes us again
            try:
                if config_result:
                    self._publish_leaf("event", {"kind": "config", **config_result})
                    config_result = None
                for fault in self.tap.drain_faults():
                    self._publish_leaf("event", {"kind": "fault", **fault})
                if woke or beats % STATUS_EVERY == 0:
                    self.publish_status()
                else:
                    self._publish_leaf("heartbeat", {"counts": self.tap.snapshot(), "sentAt": _now()}, qos=0)
                beats += 1
            except Exception:
                log.exception("fleet heartbeat failed; next one in %s s", self.heartbeat_s)

    def _command_loop(self) -> None:
        while not self._stop.is_set():
            try:
                payload = self._commands.get(timeout=0.5)
            except queue.Empty:
                continue
            ack = self.executor.handle(payload)
            if ack.get("op") in ("lock", "unlock") and ack["result"] == "ok":
                self.locked = ack["detail"].get("locked", "")
            info = self._publish_leaf("ack", ack)
            self._wake.set()
            if ack["result"] == "ok" and (ack.get("op") == "restart" or ack["detail"].get("restartWhenIdle")):
                if info is not None:
                    info.wait_for_publish(timeout=5)      # the console learns before we go
                if ack.get("op") == "set_config":
                    threading.Thread(target=self._restart_when_idle, name="fleet-restart", daemon=True).start()
                else:
                    self.executor.host.restart()


    def _restart_when_idle(self) -> None:
        """A staged configuration applies at a restart taken between payments: never during a
        sale, never with a payment still open (checked every second, for as long as it takes)."""
        t = self.terminal
        while not self._stop.is_set():
            if t.is_idle():
                self.executor.host.restart()
                return
            self._stop.wait(1.0)


def _now() -> str:
    from .protocol import iso, now_utc

    return iso(now_utc())


def start_agent(terminal, *, host=None, health_probes: dict | None = None) -> FleetAgent | None:
    """The one hook the commands call: None when `[fleet]` is not configured or not enrolled."""
    if not terminal.settings.fleet.enabled:
        return None
    state_dir = terminal.settings.state_dir
    if read_credentials(state_dir) is None:
        log.warning("[fleet] is configured but this terminal has no fleet credentials: run `pos-terminal enrol`")
        return None
    return FleetAgent(terminal, state_dir=state_dir, host=host, health_probes=health_probes).start()
