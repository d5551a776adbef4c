"""Lets the app close a client's connection with no answer (the drop fault switches).

ASGI gives an app no handle on its socket, so the HTTP protocol is uvicorn's h11 protocol
with one addition: it records each connection's transport by peer address, which the app
finds again through `scope["client"]` and aborts.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class ConnectionRegistry:
    def __init__(self):
        self._transports: dict[tuple, asyncio.Transport] = {}

    def add(self, peer, transport) -> None:
        if peer:
            self._transports[tuple(peer)] = transport

    def remove(self, peer) -> None:
        if peer:
            self._transports.pop(tuple(peer), None)

    def abort(self, peer) -> bool:
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
            def connection_made(self, transport) -> None:
                super().connection_made(transport)
                registry.add(self.client, transport)

            def connection_lost(self, exc) -> None:
                registry.remove(self.client)
                super().connection_lost(exc)

        return TrackedH11Protocol
