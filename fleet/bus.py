"""The console's MQTT side: it listens to every terminal's status, heartbeats, events, acks and
log chunks (and to enrolment hellos) and keeps the store up to date; it signs and sends
commands. paho runs the network loop in its own thread; handlers only touch the store.

The daemon (`pos-fleet serve`) uses a persistent session (client id `fleet-console`), so acks
that arrive while it is down are delivered when it returns; CLI invocations use their own
client ids and wait for the ack they care about.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import uuid
from pathlib import Path

from terminal.fleet.mqtt import make_client
from terminal.fleet.protocol import ROOT, sign_command, topic, valid_id

from .keys import operator_key
from .store import Store, now

log = logging.getLogger("fleet.bus")


class Console:
    def __init__(self, home, store: Store, *, client_id: str | None = None, persistent: bool = False,
                 enrolment=None):
        self.home = home
        self.store = store
        self.key = operator_key(home.root)
        self.enrolment = enrolment          # fleet.enrolment.Enroller, or None: hellos are ignored
        conn = home.connection()
        self._conn = conn
        self.client = make_client(client_id=client_id or f"fleet-cli-{uuid.uuid4().hex[:8]}",
                                  username=conn["username"], password=conn["password"],
                                  ca_bundle=Path(conn["ca"]) if conn.get("ca") else None,
                                  clean_session=not persistent, max_queued=0)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.ready = threading.Event()
        self._acks = threading.Condition()
        self._chunks: dict[str, dict[int, bytes]] = {}
        self.bundles: dict[str, Path] = {}

    def start(self, timeout_s: float = 10) -> Console:
        self.client.connect_async(self._conn["host"], int(self._conn["port"]), keepalive=30)
        self.client.loop_start()
        if not self.ready.wait(timeout_s):
            self.stop()
            raise SystemExit(f"cannot reach the broker at {self._conn['host']}:{self._conn['port']} "
                             f"(is `pos-fleet broker` running?)")
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            log.error("broker refused the console: %s", reason_code)
            return
        client.subscribe([(f"{ROOT}/t/+/{leaf}", 1) for leaf in ("status", "heartbeat", "event", "ack", "logs")]
                         + [(f"{ROOT}/enrol/+/hello", 1)])
        self.ready.set()

    # -- incoming -------------------------------------------------------------------------------
    def _on_message(self, client, userdata, message) -> None:
        try:
            self._dispatch(message.topic, message.payload)
        except Exception:     # a malformed message from one terminal must not stop the console
            log.exception("could not handle %s", message.topic)

    def _dispatch(self, mqtt_topic: str, payload: bytes) -> None:
        parts = mqtt_topic.split("/")
        if len(parts) == 4 and parts[1] == "enrol" and parts[3] == "hello":
            if self.enrolment is not None:
                self.enrolment.on_hello(parts[2], json.loads(payload), self)
            return
        if len(parts) != 4 or parts[1] != "t" or not valid_id(parts[2]):
            return
        tid, leaf = parts[2], parts[3]
        body = json.loads(payload) if payload else {}
        if leaf == "status":
            self.store.record_status(tid, body, now())
        elif leaf == "heartbeat":
            self.store.heartbeat(tid, now())
        elif leaf == "event":
            self.store.add_event(tid, body)
        elif leaf == "ack":
            if not self.store.record_ack(tid, body):
                log.warning("ack from %s names no command of it: %s", tid, body.get("id"))
            if body.get("result") == "refused":
                self.store.add_event(tid, {"kind": "command_refused", "command": body.get("id"),
                                           "reason": body.get("detail", {}).get("reason")})
            with self._acks:
                self._acks.notify_all()
        elif leaf == "logs":
            self._chunk(tid, body)

    def _chunk(self, tid: str, body: dict) -> None:
        cid = str(body.get("command", ""))
        if not valid_id(cid):
            return
        parts = self._chunks.setdefault(cid, {})
        parts[int(body["seq"])] = base64.b64decode(body["data"])
        if len(parts) == int(body["total"]):
            data = b"".join(parts[i] for i in range(len(parts)))
            del self._chunks[cid]
            if hashlib.sha256(data).hexdigest() != body.get("sha256"):
                self.store.add_event(tid, {"kind": "bundle_corrupt", "command": cid})
                return
            out = self.home.bundles / tid / f"{cid}.tar.gz"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            self.bundles[cid] = out
            self.store.add_event(tid, {"kind": "bundle", "command": cid, "path": str(out), "bytes": len(data)})
            with self._acks:
                self._acks.notify_all()

    # -- outgoing -------------------------------------------------------------------------------
    def send(self, terminal_id: str, op: str, args: dict | None = None, *, operator: str = "cli",
             lifetime_s: int = 24 * 3600) -> dict:
        if not valid_id(terminal_id):
            raise ValueError(f"{terminal_id!r} is not a terminal id")
        envelope = sign_command(self.key, command_id=uuid.uuid4().hex, terminal_id=terminal_id, op=op,
                                args=args or {}, operator=operator, lifetime_s=lifetime_s)
        self.store.add_command(envelope)           # recorded before it leaves
        self.publish_raw(terminal_id, json.dumps(envelope).encode())
        return envelope

    def publish_raw(self, terminal_id: str, payload: bytes) -> None:
        info = self.client.publish(topic(terminal_id, "cmd"), payload, qos=1)
        info.wait_for_publish(timeout=10)

    def wait_acks(self, command_ids: list[str], timeout_s: float) -> dict[str, dict]:
        """Block until every command has an ack (or the timeout): {id: command row}."""
        import time

        deadline = time.monotonic() + timeout_s
        with self._acks:
            while True:
                rows = {cid: self.store.command(cid) for cid in command_ids}
                if all(r and r["state"] == "acked" for r in rows.values()):
                    return rows
                left = deadline - time.monotonic()
                if left <= 0:
                    return rows
                self._acks.wait(min(left, 1.0))
