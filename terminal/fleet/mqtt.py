"""Building a paho-mqtt client for the broker (TLS always, MQTT 3.1.1, persistent session).

paho is imported here only, and only when the fleet is configured: a terminal without `[fleet]`
never loads it. paho runs its network loop in its own thread; `publish` only queues, so a
caller is never held up by a slow or absent broker.
"""
from __future__ import annotations

import ssl
from pathlib import Path


def make_client(*, client_id: str, username: str, password: str, ca_bundle: Path | None,
                clean_session: bool = False, max_queued: int = 500):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session,
                         protocol=mqtt.MQTTv311)
    client.username_pw_set(username, password)
    context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    client.tls_set_context(context)
    client.max_queued_messages_set(max_queued)        # bounded: an outage never grows memory
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.connect_timeout = 5.0
    return client


def split_broker_url(url: str) -> tuple[str, int]:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    return host.strip("[]"), int(port)
