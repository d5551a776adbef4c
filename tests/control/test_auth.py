"""Bearer token on every /v1 route; wrong tokens answered 401 and limited per address and in total."""
from __future__ import annotations

import pytest
import requests

from terminal.control.auth import FailureLimiter

ROUTES = [("GET", "/v1/status"), ("POST", "/v1/sales"), ("POST", "/v1/scans"), ("GET", "/v1/transactions/T1"),
          ("GET", "/v1/transactions"), ("POST", "/v1/transactions/T1/cancel"),
          ("POST", "/v1/transactions/T1/refunds"), ("POST", "/v1/batches/close"), ("GET", "/v1/events")]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_needs_the_token(shared, method, path):
    served = shared
    r = requests.request(method, served.url + path, json={}, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHORIZED" and r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer wrong", "bearer ", "Basic abc", "Token x", "Bearer", ""])
def test_wrong_tokens_and_schemes(shared, header):
    served = shared
    r = requests.get(served.url + "/v1/status", headers={"Authorization": header}, timeout=10)
    assert r.status_code == 401


def test_auth_comes_before_body_parsing(shared):
    served = shared
    r = requests.post(served.url + "/v1/sales", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 401


def test_the_scheme_is_case_insensitive_and_the_token_exact(shared):
    served = shared
    assert requests.get(served.url + "/v1/status", headers={"Authorization": f"bearer {served.token}"}).ok
    assert requests.get(served.url + "/v1/status",
                        headers={"Authorization": f"Bearer {served.token[:-1]}"}).status_code == 401


def test_five_failures_a_minute_then_429_with_retry_after(served):
    bad = {"Authorization": "Bearer nope"}
    for _ in range(5):
        assert requests.get(served.url + "/v1/status", headers=bad).status_code == 401
    limited = requests.get(served.url + "/v1/status", headers=bad)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # While wrong tokens are limited, the right token is still served (the register is never
    # locked out by another process's mistakes).
    assert requests.get(served.url + "/v1/status", headers=served.headers()).status_code == 200
    served.clock.now += 30
    assert int(requests.get(served.url + "/v1/status", headers=bad).headers["Retry-After"]) <= 30
    served.clock.now += 31          # the failures have left the window
    assert requests.get(served.url + "/v1/status", headers=served.headers()).status_code == 200


def test_a_forwarded_for_header_does_not_change_the_address_that_is_limited(served):
    """No proxy stands in front of the control API: a local process naming another client in
    X-Forwarded-For is still the one whose wrong tokens are counted."""
    for i in range(5):
        bad = {"Authorization": "Bearer nope", "X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.0.0.{i}"}
        assert requests.get(served.url + "/v1/status", headers=bad, timeout=10).status_code == 401
    bad = {"Authorization": "Bearer nope", "X-Forwarded-For": "10.0.0.99"}
    assert requests.get(served.url + "/v1/status", headers=bad, timeout=10).status_code == 429


def test_limiter_forgets_old_addresses_first():
    clock = lambda: 0.0
    limiter = FailureLimiter(max_failures=2, window_s=60, max_addresses=2, clock=clock)
    for address in ("a", "a", "b", "b"):
        limiter.fail(address)
    assert limiter.retry_after("a") == 60 and limiter.retry_after("b") == 60
    limiter.fail("c")                 # a third address: the oldest is dropped, memory stays bounded
    assert limiter.retry_after("a") == 0 and limiter.retry_after("b") == 60


def test_wrong_tokens_from_many_addresses_are_limited_in_total():
    """An attacker cycling through 127.0.0.0/8 gets no fresh budget per address."""
    now = [0.0]
    limiter = FailureLimiter(max_failures=5, window_s=60, max_global=50, clock=lambda: now[0])
    for i in range(50):
        assert limiter.retry_after(f"127.0.{i // 250}.{i % 250 + 1}") == 0
        limiter.fail(f"127.0.{i // 250}.{i % 250 + 1}")
    assert limiter.retry_after("127.9.9.9") == 60        # a never-seen address is limited too
    now[0] = 30.0
    assert limiter.retry_after("127.9.9.9") == 30
    now[0] = 60.5
    assert limiter.retry_after("127.9.9.9") == 0


def test_the_right_token_is_served_while_wrong_ones_are_limited(served):
    """Five wrong tokens from 127.0.0.1 once locked the real register (same address) out."""
    bad = {"Authorization": "Bearer nope"}
    codes = [requests.get(served.url + "/v1/status", headers=bad, timeout=10).status_code for _ in range(8)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3
    for _ in range(3):
        assert requests.get(served.url + "/v1/status", headers=served.headers(), timeout=10).status_code == 200


def test_openapi_document_needs_no_token(shared):
    served = shared
    assert requests.get(served.url + "/openapi.json").json()["components"]["securitySchemes"]["bearerAuth"]
