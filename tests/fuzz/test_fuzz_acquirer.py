"""Acquirer answers, generated: status codes, headers (names in any case, odd or missing
Signature / Response-Time / Client-Id), bodies (JSON of any shape, answers shaped like the
contract, bytes, deep nesting) and signatures (valid, over another body or path, by another
key, garbage). The client must never raise, and must take an answer as verified only when the
acquirer's key signed exactly that answer for that request."""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from terminal import signing
from terminal.acquirer import PAY, AcquirerClient, Credentials

from .conftest import EXAMPLES

CLIENT_ID, PRID = "C-FUZZ", "PR-FUZZ-1"


@pytest.fixture(scope="module")
def keys():
    return signing.generate_private_key(), signing.generate_private_key(), signing.generate_private_key()


class OneAnswer:
    """A requests.Session stand-in that answers every POST with the prepared response."""

    def __init__(self):
        self.response = None

    def post(self, url, **kwargs):
        return self.response


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                     max_size=4), max_leaves=15)
result_objects = st.fixed_dictionaries({
    "resultStatus": st.sampled_from(["S", "S", "F", "U", "s", "", "X", None, 1]),
    "resultCode": st.sampled_from(["SUCCESS", "ORDER_NOT_EXIST", "PAYMENT_IN_PROCESS", ""]) | st.text(max_size=10),
    "resultMessage": st.text(max_size=20)})
shaped = st.fixed_dictionaries({
    "result": st.one_of(result_objects, result_objects, result_objects, json_values)},
    optional={"paymentRequestId": st.sampled_from([PRID, "PR-OTHER", "", None]),
              "paymentId": st.text(max_size=12), "paymentAmount": json_values, "paymentResult": json_values})
bodies = st.one_of(
    shaped.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(1, 50_000).map(lambda n: b"[" * n + b"]" * n),
)
modes = st.sampled_from(["valid", "valid", "valid", "none", "other_body", "other_path", "other_key", "garbage", "other_client"])
header_case = st.sampled_from([str, str.lower, str.upper])


@st.composite
def answers(draw):
    if draw(st.booleans()):      # half the cases: a well-formed signed answer, then one thing changed
        answer = draw(shaped)
        answer["result"] = draw(st.fixed_dictionaries({"resultStatus": st.sampled_from(["S", "F", "U"]),
                                                       "resultCode": st.text(max_size=12)}))
        if draw(st.integers(0, 3)):
            answer["paymentRequestId"] = PRID
        return {"status": 200, "body": json.dumps(answer).encode(),
                "mode": draw(st.sampled_from(["valid"] * 4 + ["other_body", "other_path", "other_key", "garbage",
                                                             "other_client", "none"])),
                "case": draw(header_case), "extra": {}, "drop": set(), "timestamp": "now"}
    return {"status": draw(st.sampled_from([200] * 12 + [201, 302, 400, 500, 502, 503])),
            "body": draw(bodies), "mode": draw(modes), "case": draw(header_case),
            "extra": draw(st.just({}) | st.dictionaries(
                st.sampled_from(["Signature", "Response-Time", "Client-Id", "X-Any"]),
                st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t), max_size=2)),
            "drop": draw(st.just(set()) | st.sets(st.sampled_from(["Signature", "Response-Time", "Client-Id"]),
                                                  max_size=2)),
            "timestamp": draw(st.sampled_from(["now", "2026-11-29T12:00:00Z", "1764417600000", "not a time", ""]))}


def _response(answer: dict, acquirer, other) -> requests.Response:
    body = answer["body"]
    mode = answer["mode"]
    ts = signing.utc_timestamp() if answer["timestamp"] == "now" else answer["timestamp"]
    key = other if mode == "other_key" else acquirer
    signed_body = body + b" " if mode == "other_body" else body
    path = "/v1/payments/refund" if mode == "other_path" else PAY
    client = "C-OTHER" if mode == "other_client" else CLIENT_ID
    headers = {}
    if mode != "none" and ts:
        headers = signing.signed_headers(private_key=key, key_version=1, path=path, client_id=client,
                                         body=signed_body, time_header="Response-Time", timestamp=ts)
    if mode == "garbage":
        headers["Signature"] = "algorithm=RSA256,keyVersion=1,signature=" + "A" * 20
    for name in answer["drop"]:
        headers.pop(name, None)
    for name, value in answer["extra"].items():
        headers[name] = value
    r = requests.Response()
    r.status_code = answer["status"]
    r._content = body
    r.headers = CaseInsensitiveDict({answer["case"](k): v for k, v in headers.items()})
    return r


@settings(max_examples=EXAMPLES * 6, deadline=None, suppress_health_check=list(HealthCheck))
@given(answer=answers())
def test_acquirer_answers_never_raise_and_verify_only_what_was_signed(keys, tally, answer):
    terminal_key, acquirer, other = keys
    session = OneAnswer()
    client = AcquirerClient(base_url="https://acquirer.invalid", credentials=Credentials(CLIENT_ID, 1, terminal_key),
                            acquirer_public_key=acquirer.public_key(), ca_bundle="/dev/null", connect_timeout_s=1,
                            pay_read_timeout_s=1, read_timeout_s=1, session=session)
    session.response = _response(answer, acquirer, other)
    result = client.call(PAY, {"paymentRequestId": PRID}, echo={"paymentRequestId": PRID})
    tally.add("acquirer answers", "verified" if result.verified else f"refused:{result.code}")
    if result.verified:
        untouched = not answer["drop"] and not answer["extra"]
        assert answer["mode"] == "valid" and answer["status"] == 200 and untouched, answer
        body = json.loads(answer["body"])
        assert body.get("paymentRequestId") in (PRID, None)
        assert result.status == body["result"]["resultStatus"]
    else:
        assert result.status == "U" and not result.ok and result.transport_error


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(headers=st.dictionaries(st.text(max_size=15), st.text(max_size=80), max_size=5), body=st.binary(max_size=64))
def test_signature_verification_never_raises(keys, headers, body):
    ok, why = signing.verify_headers(public_key=keys[1].public_key(), path=PAY, headers=headers, body=body)
    assert ok is False and why
