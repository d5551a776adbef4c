"""The HTTP face of the sandbox: FastAPI routes for the contract's endpoints.

Each call: take the fault plan, read the exact body, let the acquirer decide (in a worker
thread: SQLite commits and fsyncs before anything is sent), serialise the answer once, sign
those bytes, then apply the plan's misbehaviour (delay, drop, 5xx, bad signature, bad JSON).
The signed path is the path as it arrived on the wire, prefix included.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from .context import SandboxContext
from .faults import FaultPlan
from .logs import log_event
from .signatures import sign_headers
from .targets import OriginFormTargets

ENDPOINTS = {
    "/v1/payments/pay": "pay",
    "/v1/payments/inquiryPayment": "inquiryPayment",
    "/v1/payments/cancelPayment": "cancelPayment",
    "/v1/payments/refund": "refund",
    "/v1/payments/inquiryRefund": "inquiryRefund",
    "/v1/terminals/register": "register",
    "/v1/terminals/rotateKey": "rotateKey",
    "/v1/terminals/batchClose": "batchClose",
}
JSON_TYPE = "application/json; charset=UTF-8"
ERROR_PAGES = {500: b"Internal Server Error", 502: b"Bad Gateway", 503: b"Service Unavailable"}


def build_app(ctx: SandboxContext) -> FastAPI:
    app = FastAPI(title="pos-terminal sandbox acquirer", docs_url=None, redoc_url=None, openapi_url=None)
    for suffix, endpoint in ENDPOINTS.items():
        app.add_api_route(ctx.settings.base_path + suffix, _handler(ctx, endpoint), methods=["POST"],
                          name=endpoint, include_in_schema=False)
    from .admin import build_admin_router

    app.include_router(build_admin_router(ctx))
    app.add_middleware(OriginFormTargets)   # POST https://host:port/path is served as /path
    return app


def wire_path(request: Request) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return raw.split(b"?", 1)[0].decode("latin-1")


def _handler(ctx: SandboxContext, endpoint: str) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        path = wire_path(request)
        plan = ctx.faults.take(path)
        if plan.taken:
            log_event("fault", endpoint=endpoint, faults=plan.taken)
        if plan.drop_before:
            return await _drop(ctx, request)
        if plan.http_status and plan.http_phase == "before":
            return _http_error(plan)
        body = await request.body()
        if plan.late_delivery_s:
            _hold(ctx, endpoint, path, request, body, plan)
            return await _drop(ctx, request)
        answer = await run_in_threadpool(
            ctx.acquirer.handle, endpoint, path=path, headers=request.headers, body=body, plan=plan
        )
        if endpoint == "cancelPayment" and (answer.body.get("result") or {}).get("resultStatus") == "S":
            ctx.late.cancelled(body)   # a pay held for this id now reaches the acquirer
        if plan.hold_answer_s:
            await ctx.held.hold(endpoint=endpoint, body=body, max_s=plan.hold_answer_s)
        delay = plan.delay_s + (ctx.settings.slow_response_s if answer.slow else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        if plan.drop_after:
            return await _drop(ctx, request)
        if plan.http_status:
            return _http_error(plan)
        return signed_response(ctx, path=path, client_id=request.headers.get("Client-Id"),
                               body=answer.body, plan=plan)

    handle.__name__ = f"handle_{endpoint}"
    return handle


def _hold(ctx: SandboxContext, endpoint: str, path: str, request: Request, body: bytes, plan: FaultPlan) -> None:
    """The late_delivery fault: the acquirer sees this request only later (sandbox/late.py)."""
    headers = Headers(raw=list(request.headers.raw))   # a copy that outlives the request

    async def deliver() -> dict:
        answer = await run_in_threadpool(ctx.acquirer.handle, endpoint, path=path, headers=headers, body=body,
                                         plan=plan)
        log_event("late_delivery", endpoint=endpoint, answer=answer.body.get("result"))
        return answer.body

    ctx.late.hold(endpoint=endpoint, body=body, max_s=plan.late_delivery_s, deliver=deliver)


def signed_response(ctx: SandboxContext, *, path: str, client_id: str | None, body: dict,
                    plan: FaultPlan) -> Response:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if plan.malformed_json:
        raw = raw[: max(1, len(raw) // 2)]  # truncated: not JSON, but validly signed
    moment = datetime.now(UTC) + timedelta(seconds=plan.skew_s)
    headers = sign_headers(key=ctx.keys.signing_key, key_version=1, path=path, client_id=client_id or "unknown",
                           body=raw, time_header="Response-Time", moment=moment)
    if plan.bad_signature:
        headers["Signature"] = _corrupt(headers["Signature"])
    return Response(content=raw, status_code=200, headers=headers, media_type=JSON_TYPE)


def _corrupt(header: str) -> str:
    """Flip the first signature character to another base64 letter: parseable, never verifies."""
    head, sig = header.split("signature=", 1)
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    return f"{head}signature={flipped}"


def _http_error(plan: FaultPlan) -> Response:
    status = plan.http_status or 500
    return Response(content=ERROR_PAGES[status], status_code=status, media_type="text/plain")


async def _drop(ctx: SandboxContext, request: Request) -> Response:
    """Abort the TCP connection: the client sees a reset / EOF and no HTTP answer."""
    if ctx.connections.abort(request.scope.get("client")):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:  # until uvicorn has seen the connection go: it then sends nothing
            try:
                message = await asyncio.wait_for(request.receive(), timeout=deadline - loop.time())
            except TimeoutError:
                break
            if message.get("type") == "http.disconnect":
                break
    return Response(status_code=500)
