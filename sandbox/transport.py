"""Lets the app close a client's connection with no answer (the drop fault switches).

ASGI gives an app no handle on its socket, so the HTTP protocol is uvicorn's h11 protocol
with one addition: it records each connection's transport by peer address, which the app
finds again through `scope["client"]` and aborts.
"""
from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

Peer = tuple[str, int] | None    # scope["client"]: the peer address, when the server knows it


class ConnectionRegistry:
    def __init__(self) -> None:
        self._transports: dict[tuple, asyncio.Transport] = {}

    def add(self, peer: Peer, transport: asyncio.Transport) -> None:
        if peer:
            self._transports[tuple(peer)] = transport

    def remove(self, peer: Peer) -> None:
        if peer:
            self._transports.pop(tuple(peer), None)

    def abort(self, peer: Peer) -> bool:
        transport = self._transports.get(tuple(peer)) if peer else None
        if transport is None:
            return False
        transport.abort()
        return True

    def abort_all(self) -> None:
        for transport in list(self._transports.values()):
            transport.abort()

    def protocol_class(self) -> type[H11Protocol]:
        registry = self

        class TrackedH11Protocol(H11Protocol):
            # Any: uvicorn narrows asyncio's BaseTransport to Transport here (an override mypy refuses).
            def connection_made(self, transport: Any) -> None:
                super().connection_made(transport)
                registry.add(self.client, transport)

            def connection_lost(self, exc: Exception | None) -> None:
                registry.remove(self.client)
                super().connection_lost(exc)

        return TrackedH11Protocol
