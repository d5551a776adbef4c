"""Bad input of each kind is 400 {"error": {"code", "message"}} and changes nothing; one sale at
a time (409); idempotency keys."""
from __future__ import annotations

import pytest
import requests

from terminal.control import create_app
from terminal.control.server import ControlServer

from .conftest import code_for


def sale_body(value="1250", currency="USD", **extra):
    return {"amount": {"currency": currency, "value": value}, "reference": "R", "idempotencyKey": "K1", **extra}


def post(served, path, **kw):
    return requests.post(served.url + path, headers=served.headers(), timeout=30, **kw)


@pytest.mark.parametrize("kwargs, code", [
    ({"data": "{not json", "headers_ct": True}, "BAD_JSON"),
    ({"data": "[1, 2]", "headers_ct": True}, "BAD_JSON"),
    ({"data": "", "headers_ct": True}, "BAD_JSON"),
    ({"json": sale_body(extra=1)}, "UNKNOWN_FIELD"),
    ({"json": {**sale_body(), "amount": {"currency": "USD", "value": "1250", "cents": 1}}}, "UNKNOWN_FIELD"),
    ({"json": {"amount": {"currency": "USD", "value": "1250"}, "reference": "R"}}, "BAD_REQUEST"),
    ({"json": {**sale_body(), "reference": 7}}, "BAD_REQUEST"),
    ({"json": {**sale_body(), "idempotencyKey": ""}}, "BAD_REQUEST"),
    ({"json": sale_body(value=1250)}, "BAD_AMOUNT"),
    ({"json": sale_body(value="12.50")}, "BAD_AMOUNT"),
    ({"json": sale_body(value="-1")}, "BAD_AMOUNT"),
    ({"json": sale_body(value="1e3")}, "BAD_AMOUNT"),
    ({"json": sale_body(value="")}, "BAD_AMOUNT"),
    ({"json": sale_body(value="0")}, "BAD_AMOUNT"),
    ({"json": sale_body(value="1000001")}, "AMOUNT_TOO_LARGE"),           # over max_amount 10000.00
    ({"json": sale_body(currency="usd")}, "BAD_CURRENCY"),
    ({"json": sale_body(currency="XYZ")}, "BAD_CURRENCY"),
    ({"json": sale_body(currency="EUR")}, "CURRENCY_NOT_ENABLED"),        # known, not enabled here
    ({"json": {**sale_body(), "tip": {"currency": "CAD", "value": "100"}}}, "BAD_AMOUNT"),
    ({"json": {**sale_body(), "tip": "1.00"}}, "BAD_AMOUNT"),
])
def test_bad_sale_requests(shared, kwargs, code):
    served = shared
    before = served.terminal.events.last_seq()
    as_json = {"Content-Type": "application/json"} if kwargs.get("headers_ct") else {}
    send = {k: v for k, v in kwargs.items() if k != "headers_ct"}
    r = requests.post(served.url + "/v1/sales", headers={**served.headers(), **as_json}, timeout=10, **send)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    assert served.terminal.events.last_seq() == before      # nothing happened
    assert served.control.checkout.state.value == "IDLE"


@pytest.mark.parametrize("body, code", [({"code": ""}, "BAD_REQUEST"), ({"code": 123}, "BAD_REQUEST"),
                                        ({"code": "x", "more": 1}, "UNKNOWN_FIELD"),
                                        ({"code": "not a payment code"}, "BAD_PAYMENT_CODE")])
def test_bad_scans(served, body, code):
    assert post(served, "/v1/sales", json=sale_body()).status_code == 201
    r = post(served, "/v1/scans", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == code
    assert served.control.checkout.state.value == "AWAITING_SCAN"   # still waiting for a good scan


def test_scan_without_a_sale_is_409(served):
    r = post(served, "/v1/scans", json={"code": code_for("0000")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "NO_SALE_AWAITING_SCAN"


def test_scans_forbidden_without_a_virtual_scanner(served):
    app = create_app(terminal=served.terminal, checkout=served.control.checkout, token=served.token,
                     scans_enabled=False)
    with ControlServer(app) as server:
        r = requests.post(server.url + "/v1/scans", headers=served.headers(), json={"code": code_for("0000")})
        assert r.status_code == 403 and r.json()["error"]["code"] == "SCANS_DISABLED"
        assert requests.get(server.url + "/v1/status", headers=served.headers()).json()["scansEnabled"] is False


def test_second_sale_is_409_and_the_first_goes_on(served, client):
    first = post(served, "/v1/sales", json=sale_body())
    assert first.status_code == 201
    second = post(served, "/v1/sales", json={**sale_body(), "idempotencyKey": "K2"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "SALE_IN_PROGRESS"
    client.scan(code_for("0000"))
    # Also while the first is being processed (0093 keeps it in inquiry until it is cancelled).
    assert client.wait(first.json()["transactionId"]).state == "APPROVED"
    post(served, "/v1/sales", json={**sale_body(), "idempotencyKey": "K3"})
    client.scan(code_for("0093"))
    busy = post(served, "/v1/sales", json={**sale_body(), "idempotencyKey": "K4"})
    assert busy.status_code == 409
    cancel = post(served, f"/v1/transactions/{served.control.checkout.status()['transactionId']}/cancel")
    assert cancel.status_code == 409 and cancel.json()["error"]["code"] == "SALE_PROCESSING"
    closing = post(served, "/v1/batches/close")
    assert closing.status_code == 409


def test_same_idempotency_key_same_sale(served, client):
    first = post(served, "/v1/sales", json=sale_body())
    again = post(served, "/v1/sales", json=sale_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["transactionId"] == first.json()["transactionId"]
    client.scan(code_for("0000"))
    client.wait(first.json()["transactionId"])
    after = post(served, "/v1/sales", json=sale_body())
    assert after.status_code == 200 and after.json()["state"] == "APPROVED"
    assert after.json()["transactionId"] == first.json()["transactionId"]
    reused = post(served, "/v1/sales", json=sale_body(value="999"))
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize("query", ["since=yesterday", "since=2026-13", "limit=0", "limit=abc", "limit=5000"])
def test_bad_list_queries(shared, query):
    served = shared
    r = requests.get(f"{served.url}/v1/transactions?{query}", headers=served.headers())
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("query, header", [("after=-1", None), ("after=x", None), ("", "abc")])
def test_bad_event_positions(shared, query, header):
    served = shared
    headers = {**served.headers(), **({"Last-Event-ID": header} if header else {})}
    r = requests.get(f"{served.url}/v1/events?{query}", headers=headers, timeout=10)
    assert r.status_code == 400
