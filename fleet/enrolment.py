"""Zero-touch enrolment, the console's side: registrations by serial, hellos, approvals.

A serial registered in advance (`pos-fleet enrol register`) gets its activation code, template
and credentials on its first hello; an unknown serial is recorded as `waiting` and listed for a
technician, who approves it with the same command. A broker password is issued to the terminal
(user name = its terminal id) and the broker reloaded, so from then on it connects as itself
and the ACL confines it to its own topics.
"""
from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal.fleet.protocol import enrol_topic, valid_id

from .broker import add_terminal_credentials, reload_broker
from .keys import public_pem
from .store import now

if TYPE_CHECKING:
    from .bus import Console
    from .home import FleetHome
    from .store import Store

log = logging.getLogger("fleet.enrolment")


def registration(*, activation_code: str, acquirer: str, acquirer_key_pem: str, acquirer_ca_pem: str = "",
                 template: dict | None = None, terminal_id: str = "", pins: dict[str, str] | None = None) -> dict:
    """What is kept for a serial. PINs become scrypt records here: the PINs never leave the console."""
    if not acquirer.startswith("https://"):
        raise ValueError("--acquirer must be an https:// URL")
    if terminal_id and not valid_id(terminal_id):
        raise ValueError(f"terminal id {terminal_id!r}: letters, digits, . _ - only")
    records = {}
    if pins:
        from terminal.pins import PinVault

        with tempfile.TemporaryDirectory() as tmp:
            vault = PinVault(state_dir=Path(tmp))
            for role, pin in pins.items():
                vault.set_pin(role, pin)
                records[role] = json.loads((Path(tmp) / f"{role}_pin.json").read_text())
    return {"activationCode": activation_code, "acquirer": acquirer.rstrip("/"), "acquirerKey": acquirer_key_pem,
            "acquirerCa": acquirer_ca_pem, "template": template or {}, "terminalId": terminal_id,
            "pinRecords": records}


class Enroller:
    def __init__(self, home: FleetHome, store: Store):
        self.home = home
        self.store = store

    def on_hello(self, serial: str, hello: dict, console: Console) -> None:
        if not valid_id(serial) or hello.get("serial") != serial:
            return
        row = self.store.saw_serial(serial)
        if hello.get("result"):                      # the terminal reports how provisioning went
            state = "enrolled" if hello["result"] == "provisioned" else "failed"
            self.store.set_enrolment(serial, state=state, result=json.dumps(hello)[:1000])
            if state == "enrolled" and row.get("terminal_id"):
                self.store.upsert_terminal(row["terminal_id"], serial=serial, grp=row.get("grp") or "",
                                           enrolled_at=now())
            return
        if row["state"] not in ("registered", "issued"):
            if row["state"] == "enrolled":
                log.warning("serial %s says hello again but is enrolled: listed for a technician", serial)
                self.store.set_enrolment(serial, state="waiting")
            self._reply(console, serial, {"state": "waiting"})
            return
        self.issue(serial, console)

    def issue(self, serial: str, console: Console) -> Any:   # paho's MQTTMessageInfo (untyped) or None
        """Hand a registered serial its credentials and registration (at its hello, or at once
        when a technician approves a serial that is waiting). The publish's MQTTMessageInfo, or
        None if the serial is not registered."""
        row = self.store.enrolment(serial)
        if row is None or row["state"] not in ("registered", "issued"):
            return None
        reg = row["registration"]
        terminal_id = reg.get("terminalId") or f"T-{serial}"
        password = add_terminal_credentials(self.home.broker, terminal_id)
        reload_broker(self.home.broker)
        self.store.set_enrolment(serial, state="issued", terminal_id=terminal_id)
        self.store.upsert_terminal(terminal_id, serial=serial, grp=row.get("grp") or "")
        return self._reply(console, serial, {"state": "issued", "terminalId": terminal_id, "password": password,
                                             "operatorKey": public_pem(console.key).decode(),
                                             **{k: v for k, v in reg.items() if k != "terminalId"}})

    def _reply(self, console: Console, serial: str, body: dict) -> Any:
        return console.client.publish(enrol_topic(serial, "reply"), json.dumps(body), qos=1)
