"""Failed-login throttling for the fleet dashboard.

The dashboard reaches hundreds of terminals (it can rotate keys, change configuration, reset
them), so its login must not be guessable by trying: after `limit` failures within `window_s`
for one user name, or from one client address, further attempts for that name or from that
address are refused for `lockout_s`, before the password is even hashed (a guesser burns no
scrypt time on the console either). A successful login clears the counts of its user and its
address (each other account keeps its own count, so one known password does not help guess
another).

State is in memory: a console restart clears it, which is an operator's act, and a guesser
gains one window of `limit` tries per restart at most. The tables are bounded so a guesser
cycling through names or addresses cannot grow them without limit.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

MAX_KEYS = 10_000


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginGuard:
    def __init__(self, *, limit: int = 5, window_s: float = 900.0, lockout_s: float = 900.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS):
        if limit < 1 or window_s <= 0 or lockout_s <= 0:
            raise ValueError("LoginGuard: limit must be >= 1, window_s and lockout_s > 0")
        self.limit, self.window_s, self.lockout_s = limit, window_s, lockout_s
        self._clock = clock
        self._max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()

    @staticmethod
    def keys(user: str, address: str) -> list[str]:
        return [f"user:{user.strip().lower()}", f"addr:{address}"]

    def wait_s(self, keys: Iterable[str]) -> float:
        """Seconds until a login may be tried for these keys; 0 when it may be tried now."""
        now = self._clock()
        waits = [record.locked_until - now for key in keys if (record := self._records.get(key)) is not None]
        return max([0.0, *waits])

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            record = self._records.pop(key, None) or _Record()
            record.failures = [t for t in record.failures if now - t < self.window_s] + [now]
            if len(record.failures) >= self.limit:
                record.locked_until = now + self.lockout_s
                record.failures = []
            self._records[key] = record              # most recent last
        if len(self._records) > self._max_keys:
            self._shrink(now)

    def _shrink(self, now: float) -> None:
        """Forget what no longer counts, then the oldest counts, and live locks only as a last resort."""
        def stale(r: _Record) -> bool:
            return r.locked_until <= now and all(now - t >= self.window_s for t in r.failures)

        for keep in (lambda r: not stale(r), lambda r: r.locked_until > now, lambda r: False):
            for key in [k for k, r in self._records.items() if not keep(r)]:
                if len(self._records) <= self._max_keys:
                    return
                del self._records[key]

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._records.pop(key, None)
