"""Zero-touch enrolment, the terminal's side (`pos-terminal enrol`).

A device booted from a golden image (state dir empty; `[fleet]` with the broker, its CA and the
shared enrolment account) says hello with its serial number, as MQTT client id = serial, which
the broker's ACL confines to pos/enrol/<serial>/. The console answers either "waiting" (unknown
serial: listed for a technician to approve) or with what was pre-registered for that serial: an
activation code, the acquirer's URL, key and CA, a configuration template, PIN records (scrypt
hashes, never PINs), this terminal's own broker password and the fleet operator key to pin. The
device then provisions itself with the acquirer (terminal/provisioning.py, resumable), writes
its fleet credentials and reports the outcome on the hello topic.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable

from .. import __version__
from ..config import Config, parse_config
from ..errors import FaultError, InputError, TerminalError
from ..files import write_atomic
from .agent import CREDENTIALS, read_credentials
from .commands import OPERATOR_KEY
from .mqtt import make_client
from .protocol import enrol_topic, valid_id

HELLO_EVERY_S = 10


def _enrol_account(config: Config) -> tuple[str, str]:
    path = config.resolve(config.fleet.enrol_credentials) if config.fleet.enrol_credentials else None
    if path is None:
        raise InputError("fleet.enrol_credentials is not set: the golden image's configuration names the file "
                         "holding the enrolment account (`pos-fleet enrol golden` writes it)")
    try:
        user, _, password = path.read_text().strip().partition(":")
    except OSError as exc:
        raise FaultError(f"fleet.enrol_credentials {path}: {exc.strerror}", code="CONFIG") from None
    return user, password


def enrol(config: Config, *, serial: str, timeout_s: float = 0, progress: Callable[[str], None] = print,
          pins_required: bool = True) -> dict:
    """Run the enrolment to its end; returns {terminalId, configPath}. timeout_s = 0: wait forever."""
    if not config.fleet.enabled:
        raise InputError("[fleet] broker is not configured: enrolment needs the golden image's configuration")
    if not valid_id(serial):
        raise InputError(f"serial number {serial!r} cannot be used as an MQTT client id (letters, digits, . _ -)")
    state_dir = config.state_dir()
    if read_credentials(state_dir) is not None:
        raise InputError(f"this terminal is already enrolled ({state_dir / CREDENTIALS}); factory-reset first")
    user, password = _enrol_account(config)
    replies: queue.Queue = queue.Queue()
    connected = threading.Event()
    ca = config.resolve(config.fleet.ca_bundle) if config.fleet.ca_bundle else None
    client = make_client(client_id=serial, username=user, password=password, ca_bundle=ca, clean_session=True)

    def on_connect(c, userdata, flags, reason_code, properties=None):
        if not reason_code.is_failure:
            c.subscribe(enrol_topic(serial, "reply"), qos=1)
            connected.set()
        else:
            progress(f"enrolment: the broker refused the enrolment account ({reason_code})")

    client.on_connect = on_connect
    client.on_message = lambda c, u, m: replies.put(m.payload)
    host, port = config.fleet.address()
    client.connect_async(host, port, keepalive=30)
    client.loop_start()
    deadline = time.monotonic() + timeout_s if timeout_s else None
    hello = {"serial": serial, "model": config.terminal.model, "version": __version__}
    try:
        said_waiting = False
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise FaultError("enrolment: no answer from the fleet in time (the serial may be waiting for "
                                 "approval: `pos-fleet enrol list`)", code="ENROL_TIMEOUT")
            if connected.wait(min(left or HELLO_EVERY_S, HELLO_EVERY_S)):
                client.publish(enrol_topic(serial, "hello"), json.dumps(hello), qos=1)
            try:
                reply = json.loads(replies.get(timeout=min(left or HELLO_EVERY_S, HELLO_EVERY_S)))
            except queue.Empty:
                continue
            if reply.get("state") == "waiting":
                if not said_waiting:
                    progress(f"enrolment: serial {serial} is not registered with the fleet; waiting for a technician "
                             f"to approve it")
                    said_waiting = True
                continue
            if reply.get("state") == "issued":
                outcome = _provision(config, serial, reply, progress)
                client.publish(enrol_topic(serial, "hello"), json.dumps({**hello, "result": "provisioned",
                                                                         "terminalId": outcome["terminalId"]}),
                               qos=1).wait_for_publish(timeout=10)
                return outcome
    except TerminalError as exc:
        if connected.is_set():
            client.publish(enrol_topic(serial, "hello"), json.dumps({**hello, "result": "failed", "error": exc.message[:300]}),
                           qos=1).wait_for_publish(timeout=10)
        raise
    finally:
        client.disconnect()
        client.loop_stop()


def _provision(config: Config, serial: str, reply: dict, progress) -> dict:
    from ..provisioning import Provisioner, ProvisionRequest

    state_dir = config.state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    for role, record in (reply.get("pinRecords") or {}).items():
        if role in ("manager", "technician") and isinstance(record, dict):
            write_atomic(state_dir / f"{role}_pin.json", json.dumps(record).encode())
    ca_bundle = None
    if reply.get("acquirerCa"):
        ca_bundle = state_dir / "acquirer_ca.pem"
        write_atomic(ca_bundle, reply["acquirerCa"].encode(), mode=0o644)
    template = reply.get("template") or {}
    base = config.model_dump(mode="json", exclude={"source"})
    for section, values in template.items():
        if section in ("acquirer", "storage", "fleet"):
            continue                                  # identity and the fleet link come from here, not a template
        base.setdefault(section, {}).update(values)
    fleet = dict(base["fleet"])
    fleet.pop("enrol_credentials", None)
    if fleet.get("ca_bundle"):
        write_atomic(state_dir / "fleet_ca.pem", config.resolve(fleet["ca_bundle"]).read_bytes(), mode=0o644)
        fleet["ca_bundle"] = str(state_dir / "fleet_ca.pem")
    base["fleet"] = fleet
    base_config = parse_config(base)
    request = ProvisionRequest(
        activation_code=reply["activationCode"], base_url=reply["acquirer"], acquirer_key_pem=reply["acquirerKey"].encode(),
        state_dir=state_dir, config_out=state_dir / "terminal.toml", serial_number=serial, base_config=base_config,
        ca_bundle=ca_bundle, pins={})
    outcome = Provisioner(request, progress=progress).run()
    write_atomic(state_dir / OPERATOR_KEY, reply["operatorKey"].encode(), mode=0o644)
    write_atomic(state_dir / CREDENTIALS, json.dumps({"username": reply["terminalId"],
                                                      "password": reply["password"]}).encode())
    progress(f"enrolled: terminal {reply['terminalId']} (acquirer terminal {outcome.terminal_id}); "
             f"start it with: pos-terminal --config {outcome.config_path} run")
    return {"terminalId": reply["terminalId"], "acquirerTerminalId": outcome.terminal_id,
            "configPath": str(outcome.config_path)}
