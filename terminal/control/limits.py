"""Limits that keep the control API from being exhausted by any local process (issue #12).

Anyone on the machine can open TCP connections to the control port without a token. Left alone,
~1,000 idle connections used every file descriptor of the process: the acquirer client could no
longer connect (a sale ended CANCELLED) and accept errors filled the logs. So:

- `ControlLimits`: the numbers, documented in the OpenAPI description and the README;
- `guarded_http(limits)`: uvicorn's httptools protocol with a connection cap, a header timeout
  and a header size limit. At the cap a new connection evicts the connection that has waited
  longest without sending a request (an idle one never starves the register); when none is
  idle the new one is closed. A connection that has not sent complete request headers within
  `header_timeout_s` of opening (or of its previous answer) is closed; uvicorn closes an idle
  keep-alive after `idle_s`. A request line and headers over `max_header_bytes` get a 400 and
  the connection is closed, before any handler runs.
- `BodyLimit`: an ASGI middleware, 413 past `max_body` bytes (by Content-Length or as it
  streams) and 408 when the body stalls for `body_timeout_s`; nothing reaches the handlers.
- `RateLimitedLog`: repeated errors (accept errors, wrong tokens) are logged once per interval
  with a count of what was held back, so an attack cannot rotate the log files away.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("terminal.control.limits")


@dataclass(frozen=True)
class ControlLimits:
    max_connections: int = 64          # far below LimitNOFILE: the acquirer client always has descriptors
    header_timeout_s: float = 10.0     # from the connection (or the previous answer) to complete headers
    idle_s: float = 5.0                # an idle keep-alive connection after an answer
    body_timeout_s: float = 10.0       # the longest pause while a request body arrives
    max_body: int = 64 * 1024          # bytes of a request body (413 beyond)
    max_header_bytes: int = 16 * 1024  # request line and headers (400 and closed beyond)


class RateLimitedLog:
    """At most one line per key per `interval_s`; the next line says how many were held back."""

    def __init__(self, logger: logging.Logger, *, interval_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self._logger, self.interval_s, self._clock = logger, interval_s, clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def log(self, level: int, key: str, message: str, *args: object, **kwargs: Any) -> bool:
        with self._lock:
            now = self._clock()
            last = self._last.get(key)
            if last is not None and now - last < self.interval_s:
                self._held[key] = self._held.get(key, 0) + 1
                return False
            self._last[key] = now
            held = self._held.pop(key, 0)
            if len(self._last) > 1024:                 # keys are few; never grow without bound
                self._last = {key: now}
        if held:
            message += f" (and {held} more like it in the last {self.interval_s:g} s)"
        self._logger.log(level, message, *args, **kwargs)
        return True


def loop_exception_handler(limited: RateLimitedLog) -> Callable[[asyncio.AbstractEventLoop, dict], None]:
    """asyncio's handler for accept errors (EMFILE, ENFILE, ...) and the like: rate limited."""
    def handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        key = f"{context.get('message', '')}:{type(exc).__name__ if exc else ''}"
        limited.log(logging.ERROR, key, "control API: %s%s", context.get("message", "event loop error"),
                    f" ({exc})" if exc else "")
    return handle


class HeadersTooLarge(Exception):
    """Raised from the parser's callbacks: uvicorn answers 400 and closes the connection."""


def guarded_http(limits: ControlLimits, limited: RateLimitedLog | None = None) -> type[HttpToolsProtocol]:
    """An HttpToolsProtocol subclass bound to `limits` (uvicorn.Config(http=...)).

    httptools (llhttp, C), not h11 (pure Python): h11's parsing and writing was about a tenth of
    the event loop's time, and back-to-back sales through the API measured 3-6% faster (p50) and
    0.5-1.0 ms of CPU a sale lighter on httptools (A/B, two terminals on one acquirer). llhttp has no header size limit of its own (h11
    had one, set to 16 KiB): on_url/on_header count the bytes here."""
    warn: RateLimitedLog = limited or RateLimitedLog(log)

    class GuardedHttp(HttpToolsProtocol):
        _limits = limits

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._awaiting_since: float | None = None     # waiting for a request's headers since
            self._header_timer: asyncio.TimerHandle | None = None
            self._header_bytes = 0                        # of the request being parsed

        def _idle_others(self) -> list[GuardedHttp]:
            return [c for c in self.connections if isinstance(c, GuardedHttp) and c is not self
                    and c._awaiting_since is not None and not c.transport.is_closing()]

        # Any: uvicorn narrows asyncio's BaseTransport to Transport here (an override mypy refuses).
        def connection_made(self, transport: Any) -> None:
            if len(self.connections) >= self._limits.max_connections:
                idle = self._idle_others()
                if not idle:
                    warn.log(logging.WARNING, "connection-cap", "control API: %d connections, all busy: "
                                "refusing a new one", len(self.connections))
                    transport.abort()
                    return
                oldest = min(idle, key=lambda c: c._awaiting_since or 0.0)   # all are awaiting (_idle_others)
                warn.log(logging.WARNING, "connection-evict", "control API: %d connections: closing one "
                         "idle for %.1f s to serve a new one", len(self.connections),
                         time.monotonic() - (oldest._awaiting_since or 0.0))
                oldest._close_idle()
            super().connection_made(transport)
            self._await_headers()

        def _await_headers(self) -> None:
            if self._awaiting_since is None:
                self._awaiting_since = time.monotonic()
                self._header_timer = self.loop.call_later(self._limits.header_timeout_s, self._header_timeout)

        def _headers_arrived(self) -> None:
            self._awaiting_since = None
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _close_idle(self) -> None:
            self._headers_arrived()
            self.connections.discard(self)
            if self.transport is not None and not self.transport.is_closing():
                self.transport.abort()

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self._awaiting_since is not None:
                self._close_idle()

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count_header_bytes(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_header_bytes(len(name) + len(value) + 4)     # ": " and CRLF
            super().on_header(name, value)

        def _count_header_bytes(self, n: int) -> None:
            self._header_bytes += n
            if self._header_bytes > self._limits.max_header_bytes:
                warn.log(logging.WARNING, "headers-too-large", "control API: request headers over %d bytes: "
                         "refused", self._limits.max_header_bytes)
                raise HeadersTooLarge(f"request headers over {self._limits.max_header_bytes} bytes")

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._track()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._track()

        def _track(self) -> None:
            if self.transport is None or self.transport.is_closing():
                self._headers_arrived()
            elif self.cycle is None or self.cycle.response_complete:
                self._await_headers()       # between requests: the next headers are due
            else:
                self._headers_arrived()

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_arrived()
            if self.transport is None:      # refused in connection_made: never registered
                return
            super().connection_lost(exc)

    return GuardedHttp


class BodyLimit:
    """413 for a body over `max_body` bytes, 408 for a body that stalls; checked before any
    handler (and before body parsing) for every request."""

    def __init__(self, app: ASGIApp, *, limits: ControlLimits):
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_body = self.limits.max_body
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _answer(send, 400, "BAD_REQUEST", "Content-Length: a number of bytes")
                if declared > max_body:
                    return await _answer(send, 413, "BODY_TOO_LARGE", _too_large(max_body))
        received = 0
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body, receive() waits for a disconnect: a streaming answer
                return await receive()  # (the event stream) waits so all day, never a stall
            try:
                async with asyncio.timeout(self.limits.body_timeout_s):   # no task per receive (wait_for made one)
                    message = await receive()
            except TimeoutError:
                raise _BodyProblem(408, "BODY_TIMEOUT", f"the request body stalled for "
                                   f"{self.limits.body_timeout_s:g} s: send it in one go") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyProblem(413, "BODY_TOO_LARGE", _too_large(max_body))
                body_done = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyProblem as problem:
            if started:
                raise
            await _answer(send, problem.status, problem.code, problem.message)


def _too_large(max_body: int) -> str:
    return f"the request body is over {max_body // 1024} KiB: requests of this API are small JSON objects"


class _BodyProblem(StarletteHTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on (it turns other errors into 400)
    and the API's handler answers it with its code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status_code=status, detail=message)
        self.status, self.code, self.message = status, code, message


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
