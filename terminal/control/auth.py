"""Bearer-token check for every /v1 request, with a per-address and a global limit on wrong tokens.

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
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from .limits import RateLimitedLog

log = logging.getLogger("terminal.control.auth")


class _Window:
    """Failure times within the last `window_s`."""

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def prune(self, now: float, window_s: float) -> int:
        while self.times and self.times[0] <= now - window_s:
            self.times.popleft()
        return len(self.times)


class FailureLimiter:
    """Wrong tokens are limited per source address (`max_failures` in `window_s`) and in total
    (`max_global`, so a caller cycling through 127.0.0.0/8 is limited too). A blocked caller
    gets 429 with Retry-After for every *wrong* token; a request with the right token is never
    refused (the token is 256 random bits: the limit is against noise and log floods, and must
    never lock the register out because another process on the machine misbehaves).
    Remembers at most `max_addresses` addresses (least recently failing forgotten first)."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 60.0, max_addresses: int = 4096,
                 max_global: int | None = None, clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window_s, self.max_addresses = max_failures, window_s, max_addresses
        self.max_global = max_global if max_global is not None else max(50, 10 * max_failures)
        self._clock = clock
        self._failures: OrderedDict[str, _Window] = OrderedDict()
        self._global = _Window()
        self._lock = threading.Lock()

    def _wait(self, window: _Window | None, limit: int, now: float) -> int:
        if window is None or window.prune(now, self.window_s) < limit:
            return 0
        return max(1, math.ceil(window.times[-limit] + self.window_s - now))

    def retry_after(self, address: str) -> int:
        """Seconds until a wrong token from `address` is answered 401 again; 0 when not blocked."""
        with self._lock:
            now = self._clock()
            mine = self._failures.get(address)
            if mine is not None and mine.prune(now, self.window_s) == 0:
                del self._failures[address]
                mine = None
            return max(self._wait(mine, self.max_failures, now), self._wait(self._global, self.max_global, now))

    def fail(self, address: str) -> None:
        with self._lock:
            now = self._clock()
            window = self._failures.get(address) or _Window()
            window.prune(now, self.window_s)
            window.times.append(now)
            self._failures[address] = window
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
            self._global.prune(now, self.window_s)
            self._global.times.append(now)
            while len(self._global.times) > self.max_global:    # only the newest ones matter
                self._global.times.popleft()


class BearerAuth:
    def __init__(self, app: ASGIApp, *, token: str, limiter: FailureLimiter, prefix: str = "/v1/"):
        if not token:
            raise ValueError("the control API needs a token")
        self.app, self._token, self.limiter, self.prefix = app, token.encode(), limiter, prefix
        self._log = RateLimitedLog(log, interval_s=10.0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        if self._authorised(scope):               # the right token is never refused
            return await self.app(scope, receive, send)
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.retry_after(address)
        self.limiter.fail(address)
        if wait:
            self._log.log(logging.WARNING, "rate-limited", "control API: wrong tokens rate limited (latest from %s)",
                          address)
            return await _refuse(send, 429, "RATE_LIMITED",
                                 f"too many wrong tokens: try again in {wait} s (a request with the right token "
                                 "is always served)",
                                 [(b"retry-after", str(wait).encode())])
        self._log.log(logging.WARNING, "wrong-token", "control API: wrong or missing token from %s on %s",
                      address, scope["path"])
        return await _refuse(send, 401, "UNAUTHORIZED",
                             "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the "
                             "token from the file control_token in the terminal's state directory",
                             [(b"www-authenticate", b"Bearer")])

    def _authorised(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credential = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self._token)
        return False


async def _refuse(send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
