"""Absolute-form request targets (`POST https://host:port/v1/payments/pay HTTP/1.1`).

HTTP/1.1 (RFC 9112 §3.2.2) requires a server to accept a request target in absolute form;
some clients and SDKs behind a proxy configuration send it. uvicorn's h11 protocol hands the
whole URL to the application as the path, so routing would answer 404. This ASGI layer turns
it into the origin form before routing; the signature is then checked, and the answer signed,
over the path alone, as the contract says (no scheme, host or query).
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

_ABSOLUTE = re.compile(rb"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


class OriginFormTargets:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            raw = scope.get("raw_path") or scope.get("path", "").encode("latin-1")
            found = _ABSOLUTE.match(raw)
            if found:
                origin = raw[found.end():] or b"/"
                scope = dict(scope, raw_path=origin, path=unquote(origin.decode("latin-1")))
        await self.app(scope, receive, send)
