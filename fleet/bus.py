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
from typing import TYPE_CHECKING, Any

from terminal.fleet.mqtt import make_client
from terminal.fleet.protocol import ROOT, sign_command, topic, valid_id

from .keys import operator_key
from .store import Store, now

if TYPE_CHECKING:
    from .enrolment import Enroller
    from .home import FleetHome

log = logging.getLogger("fleet.bus")
MAX_CHUNKS = 256                      # 16 MiB per support bundle


class Console:
    def __init__(self, home: FleetHome, store: Store, *, client_id: str | None = None, persistent: bool = False,
                 enrolment: Enroller | None = None):
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
        self._acked: set[str] = set()
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

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any = None) -> None:
        if reason_code.is_failure:
            log.error("broker refused the console: %s", reason_code)
            return
        client.subscribe([(f"{ROOT}/t/+/{leaf}", 1) for leaf in ("status", "heartbeat", "event", "ack", "logs")]
                         + [(f"{ROOT}/enrol/+/hello", 1)])
        self.ready.set()

    # -- incoming -------------------------------------------------------------------------------
    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:   # paho objects (untyped)
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
            if self.store.record_ack(tid, body):
                with self._acks:
                    self._acked.add(str(body.get("id")))
            else:
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
        total = int(body.get("total", 0))
        if not valid_id(cid) or not 0 < total <= MAX_CHUNKS or not 0 <= int(body.get("seq", -1)) < total:
            return                      # a bundle is at most MAX_CHUNKS x 64 KiB (memory stays bounded)
        parts = self._chunks.setdefault(cid, {})
        parts[int(body["seq"])] = base64.b64decode(body["data"])
        if len(parts) == total:
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
        return self.send_many([terminal_id], op, args, operator=operator, lifetime_s=lifetime_s)[0]

    def send_many(self, terminal_ids: list[str], op: str, args: dict | None = None, *, operator: str = "cli",
                  lifetime_s: int = 24 * 3600) -> list[dict]:
        """One envelope per terminal (each signed for its addressee), recorded in one transaction
        before any leaves, then published together (QoS 1) and waited for as a batch."""
        bad = [t for t in terminal_ids if not valid_id(t)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a terminal id")
        envelopes = [sign_command(self.key, command_id=uuid.uuid4().hex, terminal_id=t, op=op, args=args or {},
                                  operator=operator, lifetime_s=lifetime_s) for t in terminal_ids]
        self.store.add_commands(envelopes)
        infos = [self.client.publish(topic(e["cmd"]["terminal"], "cmd"), json.dumps(e), qos=1) for e in envelopes]
        for info in infos:
            info.wait_for_publish(timeout=30)
        return envelopes

    def publish_raw(self, terminal_id: str, payload: bytes) -> None:
        info = self.client.publish(topic(terminal_id, "cmd"), payload, qos=1)
        info.wait_for_publish(timeout=10)

    def wait_acks(self, command_ids: list[str], timeout_s: float) -> dict[str, dict | None]:
        """Block until every command has an ack (or the timeout): {id: command row}. Acks are
        tracked in memory as they arrive (the store is read once at the end)."""
        import time

        deadline = time.monotonic() + timeout_s
        wanted = set(command_ids)
        with self._acks:
            while not wanted <= self._acked:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._acks.wait(min(left, 1.0))
        return {cid: self.store.command(cid) for cid in command_ids}
