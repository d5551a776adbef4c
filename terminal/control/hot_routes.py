"""The two requests of every sale, `POST /v1/sales` and `POST /v1/scans`, served without
FastAPI's per-request machinery.

FastAPI answers a request through its exception middlewares, router, dependency solver,
request parsing and response handling: 0.4 ms of the event loop's time per request here, twice a
sale, on the path the cash register waits on. A hot route does what those requests need and
nothing else, with the same parts: the body is validated by the same pydantic model, the same
handler function runs in the same thread pool, and an exception it raises is answered by the
same mapping as the app's exception handlers (errors.exception_response).

Only a request that will be served the same way takes this path: a JSON body (or no
Content-Type) that the model accepts. Anything else (another media type, a body the model
refuses, malformed JSON) is handed to the FastAPI app unchanged, its body replayed, so every
refusal (400 BAD_JSON, UNKNOWN_FIELD, BAD_AMOUNT, ...) is the app's own. The middleware sits
inside the token check and the body limits (create_app), which apply to these requests alike.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import exception_response


@dataclass(frozen=True)
class HotRoute:
    model: type[BaseModel]
    handler: Callable[[Any], Response]     # blocking: run in the thread pool, as FastAPI runs a def handler


class HotRoutes:
    def __init__(self, app: ASGIApp, *, routes: dict[str, HotRoute]):
        self.app, self.routes = app, routes      # POST routes by path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None or not _json_or_unlabelled(scope):
            return await self.app(scope, receive, send)
        body = await _read_body(receive)
        if body is None:                         # the client left mid-body: nobody to answer
            return None
        try:
            parsed = route.model.model_validate_json(body)
        except ValidationError:
            return await self.app(scope, _replay(body, receive), send)
        try:
            response = await run_in_threadpool(route.handler, parsed)
        except Exception as exc:  # noqa: BLE001 - answered as the app answers it
            response = exception_response(exc)
        await response(scope, receive, send)
        return None


def _json_or_unlabelled(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when Content-Type is absent or application/json (its
    `+json` variants are left to it)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.partition(b";")[0].strip().lower() == b"application/json"
    return True


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that gives the body already read, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay
