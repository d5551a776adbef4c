"""The hot routes (POST /v1/sales, POST /v1/scans without FastAPI's machinery): a request they
serve is answered as the app would; anything else reaches the app with its body intact."""
from __future__ import annotations

import asyncio
import json
import threading

from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from terminal.control.errors import ApiError
from terminal.control.hot_routes import HotRoute, HotRoutes
from terminal.errors import BusinessError, FaultError


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    code: str


class Inner:
    """The FastAPI app's place: records what reached it."""

    def __init__(self):
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await JSONResponse({"from": "app"}, status_code=400)(scope, receive, send)


def call(app, body: bytes, *, path="/v1/scans", content_type: bytes | None = b"application/json",
         chunks: int = 1) -> tuple[int, dict]:
    headers = [(b"authorization", b"Bearer t")] + ([(b"content-type", content_type)] if content_type else [])
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}
    size = max(1, -(-len(body) // chunks))
    parts = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def hot(handler) -> tuple[HotRoutes, Inner]:
    inner = Inner()
    return HotRoutes(inner, routes={"/v1/scans": HotRoute(Body, handler)}), inner


def test_a_valid_request_is_served_by_its_handler_in_a_worker_thread():
    threads = []

    def handler(body: Body):
        threads.append(threading.current_thread())
        return JSONResponse({"got": body.code}, status_code=202)

    app, inner = hot(handler)
    assert call(app, b'{"code": "abc"}', chunks=3) == (202, {"got": "abc"})
    assert call(app, b'{"code": "x"}', content_type=None) == (202, {"got": "x"})   # FastAPI reads it as JSON too
    assert inner.bodies == [] and threads[0] is not threading.main_thread()


def test_anything_the_model_refuses_reaches_the_app_with_its_body():
    app, inner = hot(lambda body: JSONResponse({}))
    for body in (b'{"code": "abc", "extra": 1}', b'{"code": 5}', b'{"code": ', b"", b"[1]"):
        assert call(app, body) == (400, {"from": "app"})
    assert inner.bodies == [b'{"code": "abc", "extra": 1}', b'{"code": 5}', b'{"code": ', b"", b"[1]"]


def test_other_media_types_methods_and_paths_are_the_apps():
    app, inner = hot(lambda body: JSONResponse({}))
    assert call(app, b'{"code": "abc"}', content_type=b"text/plain") == (400, {"from": "app"})
    assert call(app, b'{"code": "abc"}', content_type=b"application/merge-patch+json") == (400, {"from": "app"})
    assert call(app, b'{"code": "abc"}', path="/v1/sales") == (400, {"from": "app"})
    assert len(inner.bodies) == 3


def test_a_handlers_exception_is_answered_as_the_apps_exception_handlers_answer_it():
    def refuse(exc):
        def handler(body):
            raise exc
        return hot(handler)[0]

    assert call(refuse(ApiError(409, "SALE_PROCESSING", "wait")), b'{"code": "a"}') == (
        409, {"error": {"code": "SALE_PROCESSING", "message": "wait"}})
    assert call(refuse(BusinessError("no sale waiting", code="NO_SALE_AWAITING_SCAN")), b'{"code": "a"}')[0] == 409
    assert call(refuse(FaultError("journal gone", code="JOURNAL")), b'{"code": "a"}') == (
        503, {"error": {"code": "JOURNAL", "message": "journal gone"}})
    status, body = call(refuse(RuntimeError("boom 2810123456789012345")), b'{"code": "a"}')
    assert status == 500 and body["error"]["code"] == "INTERNAL_ERROR" and "2810" not in json.dumps(body)
