"""The sandbox acquirer in-process: uvicorn in a daemon thread on 127.0.0.1.

    sb = EmbeddedSandbox(state_dir=path, slow_response_s=0.2)
    sb.start()            # returns once the server listens
    sb.base_url, sb.ca_bundle_path, sb.signing_public_key_path, sb.encryption_kid ...
    sb.stop()
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from . import clients
from .context import SandboxContext, Settings
from .faults import Fault
from .server import NotifyingServer, bind_loopback, make_server

START_TIMEOUT_S = 20.0


class EmbeddedSandbox:
    def __init__(self, state_dir: Path, slow_response_s: float = 20.0, faults: list[dict] | None = None, port: int = 0,
                 base_path: str = ""):
        self.ctx = SandboxContext(Path(state_dir), Settings(slow_response_s=slow_response_s,
                                                            base_path=base_path, faults=list(faults or [])))
        self._port = port
        self._server: NotifyingServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            return self
        ready = threading.Event()
        sock = self._socket = bind_loopback(self._port)
        self.port = sock.getsockname()[1]
        server = self._server = make_server(self.ctx, on_ready=ready.set)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=f"sandbox-acquirer-{self.port}", daemon=True)
        self._thread.start()
        # Bounded wait on the server's own readiness signal; a thread that dies is a failure.
        waited = 0.0
        while not ready.wait(0.05):
            waited += 0.05
            if not self._thread.is_alive() or waited >= START_TIMEOUT_S:
                self.stop()
                raise RuntimeError(f"sandbox acquirer did not start on 127.0.0.1:{self.port}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.ctx.store.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a terminal needs to talk to it -------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}{self.ctx.settings.base_path}"

    @property
    def admin_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/admin"

    @property
    def ca_bundle_path(self) -> Path:
        return self.ctx.tls.ca_cert

    @property
    def signing_public_key_path(self) -> Path:
        return self.ctx.keys.signing_public_key_path

    @property
    def encryption_public_key_path(self) -> Path:
        return self.ctx.keys.encryption_public_key_path

    @property
    def encryption_kid(self) -> str:
        return self.ctx.keys.encryption_kid

    # -- direct administration (same effects as the admin API) -------------------------------

    def register_client(self, *, client_id: str, terminal_id: str, public_key_pem: bytes,
                        key_version: int = 1) -> dict:
        return clients.register_client(self.ctx.store, client_id=client_id, terminal_id=terminal_id,
                                       public_key_pem=public_key_pem, key_version=key_version)

    def create_activation_code(self, code: str | None = None) -> str:
        return clients.create_activation_code(self.ctx.store, code=code)

    def set_faults(self, *faults: Fault | dict | Sequence[Fault | dict], **one: Any) -> None:
        """Replace the active faults: set_faults(Fault|dict, ...) or set_faults(kind=..., ...)."""
        items: list[Fault | dict] = []
        for given in faults:          # one fault, or a list of them
            if isinstance(given, (Fault, dict)):
                items.append(given)
            else:
                items.extend(given)
        if one:
            items.append(one)
        self.ctx.faults.set([Fault.from_dict(f) for f in items])

    def reset_faults(self) -> None:
        self.ctx.faults.reset()

    def wait_held(self, count: int = 1, *, timeout_s: float = 30.0) -> bool:
        """True once `count` answers are held by the hold_answer fault (sandbox/held.py)."""
        return self.ctx.held.wait_held(count, timeout_s=timeout_s)

    def held(self) -> list[dict]:
        return self.ctx.held.list()

    def release_held(self) -> int:
        return self.ctx.held.release()

    @property
    def slow_response_s(self) -> float:
        return self.ctx.settings.slow_response_s

    @slow_response_s.setter
    def slow_response_s(self, value: float) -> None:
        self.ctx.settings.slow_response_s = float(value)
