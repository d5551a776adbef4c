"""`pos-fleet serve`: the console daemon. One persistent MQTT session (acks and events that
arrive while it is down are delivered when it returns), enrolment, and the dashboard."""
from __future__ import annotations

import logging
import os
import secrets
from typing import TYPE_CHECKING

from .bus import Console
from .enrolment import Enroller
from .store import Store
from .web import create_app

if TYPE_CHECKING:
    from .home import FleetHome

log = logging.getLogger("fleet")


def web_secret(home: FleetHome) -> bytes:
    path = home.root / "web_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def serve(home: FleetHome, *, web_host: str = "127.0.0.1", web_port: int = 8080) -> int:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = Store(home.db)
    if not store.query("SELECT name FROM users LIMIT 1"):
        log.warning("no dashboard user yet: pos-fleet --dir %s user add NAME --password-file F", home.root)
    console = Console(home, store, client_id="fleet-console", persistent=True, enrolment=None)
    console.enrolment = Enroller(home, store)
    console.start()

    def send(terminal_ids: list[str], op: str, args: dict, operator: str) -> list[dict]:
        return console.send_many(terminal_ids, op, args, operator=operator)

    app = create_app(store, secret=web_secret(home), send=send)
    try:
        uvicorn.run(app, host=web_host, port=web_port, log_level="warning")
    finally:
        console.stop()
    return 0
