"""A blocking paho client for tests: connect (or learn the refusal), subscribe, collect."""
from __future__ import annotations

import queue
import threading
import uuid

from terminal.fleet.mqtt import make_client


class Probe:
    def __init__(self, broker, username: str, password: str, *, client_id: str | None = None,
                 clean_session: bool = True):
        self.messages: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.refused = None
        self.subscribed = threading.Event()
        self.granted: list = []
        self.client = make_client(client_id=client_id or f"probe-{uuid.uuid4().hex[:8]}", username=username,
                                  password=password, ca_bundle=broker.files.ca, clean_session=clean_session)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload, m.retain))
        self.client.on_subscribe = self._on_subscribe
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties=None):
        if reason_code.is_failure:
            self.refused = reason_code
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties=None):
        self.granted = [rc.value for rc in reason_codes]
        self.subscribed.set()

    def wait_connected(self, timeout=10) -> bool:
        assert self.connected.wait(timeout), "no CONNACK"
        return self.refused is None

    def subscribe(self, topic: str, qos: int = 1, timeout=10) -> list:
        self.subscribed.clear()
        self.client.subscribe(topic, qos)
        assert self.subscribed.wait(timeout), "no SUBACK"
        return self.granted

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False, timeout=10):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(timeout)
        return info

    def next(self, timeout=10):
        return self.messages.get(timeout=timeout)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
