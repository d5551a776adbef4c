"""The dashboard's login cannot be guessed by trying: failures lock a user name and an address
for a while, refused before any password is hashed; a success clears its user's and address's counts."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from fleet.login_guard import LoginGuard
from fleet.store import Store
from fleet.web import COOKIE, add_user, create_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_the_user_and_the_address_then_the_lock_expires():
    clock = Clock()
    guard = LoginGuard(limit=5, window_s=900, lockout_s=600, clock=clock)
    keys = guard.keys("Tech", "10.0.0.7")
    for _ in range(4):
        guard.failed(keys)
        assert guard.wait_s(keys) == 0
    guard.failed(keys)
    assert guard.wait_s(keys) == 600
    assert guard.wait_s(guard.keys("tech ", "10.0.0.99")) == 600      # the user, from anywhere
    assert guard.wait_s(guard.keys("other", "10.0.0.7")) == 600       # any user, from that address
    assert guard.wait_s(guard.keys("other", "10.0.0.8")) == 0
    clock.now += 600
    assert guard.wait_s(keys) == 0


def test_failures_outside_the_window_do_not_add_up_and_a_success_clears_its_counts():
    clock = Clock()
    guard = LoginGuard(limit=3, window_s=60, lockout_s=600, clock=clock)
    keys = guard.keys("tech", "10.0.0.7")
    for _ in range(5):                 # one failure a minute: never three within the window
        guard.failed(keys)
        clock.now += 61
    assert guard.wait_s(keys) == 0
    guard.failed(keys)
    guard.failed(keys)
    guard.succeeded(keys)
    guard.failed(keys)
    guard.failed(keys)
    assert guard.wait_s(keys) == 0                                      # both counts started again
    guard.failed(guard.keys("other", "10.0.0.9"))
    assert guard.wait_s(guard.keys("other", "10.0.0.9")) == 0
    guard.failed(keys)
    assert guard.wait_s(guard.keys("someone", "10.0.0.7")) == 600


def test_a_guesser_cycling_names_cannot_grow_the_table_or_evict_a_live_lock():
    clock = Clock()
    guard = LoginGuard(limit=2, window_s=60, lockout_s=600, clock=clock, max_keys=50)
    locked = guard.keys("tech", "10.0.0.7")
    guard.failed(locked)
    guard.failed(locked)
    for i in range(200):               # live counts (all within the window), none locked
        guard.failed([f"user:n{i}"])
    assert len(guard._records) <= 50   # white-box: the bound
    assert guard.wait_s(locked) == 600
    clock.now += 61                    # those counts aged out: the next failure makes room by them
    guard.failed(["user:late"])
    assert guard.wait_s(locked) == 539 and guard.wait_s(["user:late"]) == 0


class Browser:
    """The app in-process (httpx's ASGI transport), one call at a time, cookies kept."""

    def __init__(self, app) -> None:
        self._app = app
        self.cookies = httpx.Cookies()

    def _call(self, method: str, url: str, **kw) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self._app), cookies=self.cookies,
                                         base_url="https://console.test") as c:
                response = await c.request(method, url, **kw)
                self.cookies = c.cookies
                return response
        return asyncio.run(go())

    def get(self, url: str) -> httpx.Response:
        return self._call("GET", url)

    def post(self, url: str, data: dict) -> httpx.Response:
        return self._call("POST", url, data=data)


@pytest.fixture
def client(tmp_path):
    store = Store(tmp_path / "fleet.db")
    add_user(store, "tech", "correct horse battery")
    return Browser(create_app(store, secret=b"k" * 32, send=None,
                              guard=LoginGuard(limit=3, window_s=900, lockout_s=900)))


def login(client: Browser, user: str, password: str) -> httpx.Response:
    return client.post("/login", data={"user": user, "password": password})


def test_the_dashboard_refuses_a_right_password_after_three_wrong_ones_and_says_what_to_do(client):
    for _ in range(3):
        r = login(client, "tech", "guess")
        assert r.status_code == 303 and "wrong+user+or+password" in r.headers["location"]
        assert COOKIE not in r.cookies
    r = login(client, "tech", "correct horse battery")
    assert r.status_code == 303 and COOKIE not in r.cookies
    page = client.get(r.headers["location"]).text
    assert "too many failed logins: try again in 15 min, or ask another administrator" in page


def test_the_right_password_logs_in_and_resets_the_count(client):
    login(client, "tech", "guess")
    login(client, "tech", "guess")
    r = login(client, "tech", "correct horse battery")
    assert r.status_code == 303 and r.headers["location"] == "/" and COOKIE in r.cookies
    client.cookies.clear()
    assert login(client, "tech", "guess").headers["location"] != "/"
    assert COOKIE in login(client, "tech", "correct horse battery").cookies    # 1 failure since, not 3
