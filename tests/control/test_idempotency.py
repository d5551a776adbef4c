"""A repeated idempotencyKey must repeat the request exactly (issue #12 item 4): the same key
with another reference once returned the other order's APPROVED sale."""
from __future__ import annotations

import pytest
import requests

from .conftest import code_for


def _body(**changes):
    body = {"amount": {"currency": "USD", "value": "700"}, "tip": {"currency": "USD", "value": "100"},
            "reference": "ORDER-1", "idempotencyKey": "ECR-42"}
    body.update(changes)
    return body


def _post(served, body):
    return requests.post(f"{served.url}/v1/sales", headers=served.headers(), json=body, timeout=30)


CHANGES = [({"reference": "ORDER-2"}, "reference"),
           ({"amount": {"currency": "USD", "value": "701"}}, "amount.value"),
           ({"tip": {"currency": "USD", "value": "200"}}, "tip"),
           ({"amount": {"currency": "CAD", "value": "700"}, "tip": {"currency": "CAD", "value": "100"}},
            "amount.currency")]


@pytest.mark.parametrize("change, field", CHANGES)
def test_same_key_other_field_is_409_naming_it_while_awaiting_scan_and_after_approval(served, client, change, field):
    first = _post(served, _body())
    assert first.status_code == 201
    body = {k: v for k, v in _body(**change).items() if v is not None}
    pending = _post(served, body)
    assert pending.status_code == 409, pending.text
    assert pending.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED" and field in pending.json()["error"]["message"]
    client.scan(code_for("0000"))
    assert client.wait(first.json()["transactionId"]).state == "APPROVED"
    approved = _post(served, body)
    assert approved.status_code == 409 and field in approved.json()["error"]["message"]
    same = _post(served, _body())
    assert same.status_code == 200 and same.json()["transactionId"] == first.json()["transactionId"]
