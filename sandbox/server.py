"""Runs a sandbox context under uvicorn on loopback with its TLS certificate."""
from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from .app import build_app
from .context import SandboxContext
from .transport import ConnectionRegistry


class NotifyingServer(uvicorn.Server):
    """uvicorn.Server that calls `on_ready()` once it listens (no polling, no sleeps)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None = None,
                 connections: ConnectionRegistry | None = None):
        super().__init__(config)
        self._on_ready = on_ready
        self._connections = connections

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # TLS connections a client left open would hold a graceful shutdown for its whole
        # timeout: a sandbox that stops drops them at once, as a crashed acquirer would.
        if self._connections is not None:
            self._connections.abort_all()
        await super().shutdown(sockets=sockets)


def bind_loopback(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY on Linux: without it, a response written as two TLS
    # records (headers, body) waits ~40 ms for the client's delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def make_server(ctx: SandboxContext, *, on_ready: Callable[[], None] | None = None,
                log_level: str = "warning") -> NotifyingServer:
    config = uvicorn.Config(
        build_app(ctx), ssl_certfile=str(ctx.tls.server_cert), ssl_keyfile=str(ctx.tls.server_key),
        http=ctx.connections.protocol_class(), lifespan="off", log_level=log_level,
        access_log=False, timeout_graceful_shutdown=2, ws="none",
    )
    return NotifyingServer(config, on_ready=on_ready, connections=ctx.connections)
