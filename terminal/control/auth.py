"""Bearer-token check for every /v1 request, with a per-address limit on wrong tokens.

A pure ASGI middleware (not a route dependency) so that authentication comes before anything
else, body parsing included, and streaming answers (SSE) pass through untouched.
"""
from __future__ import annotations

import hmac
import json
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from typing import Callable

log = logging.getLogger("terminal.control.auth")


class FailureLimiter:
    """At most `max_failures` wrong tokens per address in `window_s`; then every request from
    that address is refused (429, Retry-After) until the oldest failure leaves the window.
    Remembers at most `max_addresses` addresses (least recently failing forgotten first)."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 60.0, max_addresses: int = 4096,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window_s, self.max_addresses = max_failures, window_s, max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str) -> int:
        """Seconds until `address` may try again; 0 when it is not blocked."""
        with self._lock:
            now = self._clock()
            times = self._recent(address, now)
            if times is None or len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[0] + self.window_s - now))

    def fail(self, address: str) -> None:
        with self._lock:
            now = self._clock()
            times = self._recent(address, now) or deque()
            times.append(now)
            self._failures[address] = times
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)


class BearerAuth:
    def __init__(self, app, *, token: str, limiter: FailureLimiter, prefix: str = "/v1/"):
        if not token:
            raise ValueError("the control API needs a token")
        self.app, self._token, self.limiter, self.prefix = app, token.encode(), limiter, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.retry_after(address)
        if wait:
            return await _refuse(send, 429, "RATE_LIMITED",
                                 f"too many wrong tokens from {address}: try again in {wait} s",
                                 [(b"retry-after", str(wait).encode())])
        if self._authorised(scope):
            return await self.app(scope, receive, send)
        self.limiter.fail(address)
        log.warning("control API: wrong or missing token", extra={"client": address, "path": scope["path"]})
        return await _refuse(send, 401, "UNAUTHORIZED",
                             "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the "
                             "token from the file control_token in the terminal's state directory",
                             [(b"www-authenticate", b"Bearer")])

    def _authorised(self, scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credential = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self._token)
        return False


async def _refuse(send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
