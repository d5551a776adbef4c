"""Serving the control API with uvicorn: loopback by default, TLS required anywhere else.

    server = ControlServer(app, host="127.0.0.1", port=0).start()   # a daemon thread
    server.url; server.stop()
    serve(config, terminal=terminal)                                  # foreground (CLI)
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from ..config import Config
from ..errors import FaultError
from ..service import Terminal
from .limits import ControlLimits, RateLimitedLog, guarded_http, loop_exception_handler

log = logging.getLogger("terminal.control")
START_TIMEOUT_S = 20.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(config: Config) -> tuple[str, str]:
    """The TLS files to serve with ("" when on loopback without them); a clear error when a
    non-loopback address is configured without TLS."""
    c = config.control
    cert = str(config.resolve(c.tls_cert)) if c.tls_cert else ""
    key = str(config.resolve(c.tls_key)) if c.tls_key else ""
    if bool(cert) != bool(key):
        raise FaultError("control.tls_cert and control.tls_key go together: set both (PEM files) or neither",
                         code="CONFIG")
    if not is_loopback(c.host) and not cert:
        raise FaultError(f"control.host = {c.host!r} is not a loopback address: the control API is served there "
                         f"only over TLS; set control.tls_cert and control.tls_key (PEM certificate and key), "
                         f"or use control.host = \"127.0.0.1\"", code="CONFIG")
    for name, path in (("control.tls_cert", cert), ("control.tls_key", key)):
        if path and not Path(path).is_file():
            raise FaultError(f"{name}: {path} not found: fix the path", code="CONFIG")
    return cert, key


def bind(host: str, port: int) -> socket.socket:
    host = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FaultError(f"control API cannot listen on {host}:{port} ({exc.strerror}): "
                         f"set control.port to a free port", code="CONTROL_BIND") from None
    sock.listen(128)
    return sock


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None], limited: RateLimitedLog):
        super().__init__(config)
        self._on_ready = on_ready
        self._limited = limited

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(loop_exception_handler(self._limited))
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


class ControlServer:
    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, tls_cert: str = "", tls_key: str = "",
                 log_level: str = "warning", limits: ControlLimits | None = None):
        if not is_loopback(host) and not tls_cert:
            raise FaultError(f"control API on {host}: non-loopback addresses need TLS (control.tls_cert, "
                             f"control.tls_key)", code="CONFIG")
        self.host, self.tls = host, bool(tls_cert)
        self._socket = bind(host, port)
        self.port = self._socket.getsockname()[1]
        self.ready = threading.Event()
        self.limits = limits or ControlLimits()
        limited = RateLimitedLog(log)
        # proxy_headers off: no proxy stands in front of this API, and X-Forwarded-For from a local
        # process would otherwise be taken as the client's address (the wrong-token limit is per address).
        config = uvicorn.Config(app, lifespan="off", log_level=log_level, access_log=False, ws="none",
                                proxy_headers=False,
                                timeout_graceful_shutdown=1, ssl_certfile=tls_cert or None,
                                ssl_keyfile=tls_key or None, http=guarded_http(self.limits, limited),
                                timeout_keep_alive=self.limits.idle_s,  # type: ignore[arg-type] # uvicorn hands it to call_later: a float works
                                backlog=self.limits.max_connections)   # also asyncio's accept batch
        self._server = _Server(config, on_ready=self.ready.set, limited=limited)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "localhost" else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def run(self) -> None:
        """Foreground: until SIGINT/SIGTERM (uvicorn's handlers, in the main thread)."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._socket.close()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.run, name=f"control-api-{self.port}", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self.ready.wait(0.05):       # the server's own readiness signal, bounded
            waited += 0.05
            if not self._thread.is_alive() or waited >= START_TIMEOUT_S:
                self.stop()
                raise FaultError(f"control API did not start on {self.url}", code="CONTROL_START")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(config: Config, *, terminal: Terminal, event_log: Path | None = None,
          on_ready: Callable[[ControlServer, str], None] | None = None) -> None:
    """Serve the control API for `terminal` (already recovered) until SIGINT/SIGTERM.

    on_ready(server, token_path) is called once it listens.
    """
    from .wiring import build_control

    cert, key = check_bind(config)
    token = terminal.upkeep.control_token(create=True)
    token_path = terminal.upkeep.control_token_path()
    control = build_control(terminal, token=token, event_log=event_log)
    terminal.start_background_resolution()
    try:
        server = ControlServer(control.app, host=config.control.host, port=config.control.port,
                               tls_cert=cert, tls_key=key)
        if on_ready is not None:
            threading.Thread(target=lambda: server.ready.wait() and on_ready(server, token_path),
                             name="control-ready", daemon=True).start()
        with _stop_signals_end_quietly():
            server.run()
    finally:
        control.close(terminal_closing=True)


@contextlib.contextmanager
def _stop_signals_end_quietly() -> Iterator[None]:
    """uvicorn handles SIGINT/SIGTERM while it runs, then re-raises them once it has stopped;
    here that second delivery is a no-op, so the terminal is closed properly and the process
    exits 0 (a requested stop is not an interruption)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
