"""Request authentication, register and rotateKey."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from terminal.signing import (
    generate_private_key,
    load_public_key,
    public_key_pem,
    utc_timestamp,
)

from .conftest import make_terminal
from .helpers import Terminal, code

PAY = "/v1/payments/pay"
INQ = "/v1/payments/inquiryPayment"


def _answer(term, resp, suffix=INQ):
    assert resp.status_code == 200
    assert term.verify(resp, suffix)[0]
    return resp.json()["result"]


def test_wrong_key_signature_is_invalid_signature(term):
    body = json.dumps({"paymentRequestId": "x"}).encode()
    resp = term.post_raw(INQ, body, private_key=generate_private_key())
    assert _answer(term, resp) == {"resultStatus": "F", "resultCode": "INVALID_SIGNATURE",
                                   "resultMessage": "The request signature does not verify"}


def test_tampered_body_is_invalid_signature(term):
    body = json.dumps({"paymentRequestId": "x"}).encode()
    resp = term.post_raw(INQ, body, headers={})
    assert _answer(term, resp)["resultCode"] == "ORDER_NOT_EXIST"
    from terminal.signing import signed_headers
    hdrs = signed_headers(private_key=term.private_key, key_version=1, path=INQ, client_id=term.client_id, body=body)
    import requests
    resp = requests.post(term.sb.base_url + INQ, data=body + b" ", headers=hdrs, verify=term.ca, timeout=10)
    assert _answer(term, resp)["resultCode"] == "INVALID_SIGNATURE"


def test_malformed_signature_header(term):
    resp = term.post_raw(INQ, b"{}", headers={"Signature": "garbage"})
    assert _answer(term, resp)["resultCode"] == "INVALID_SIGNATURE"


@pytest.mark.parametrize("offset_s,code_", [(301, "INVALID_REQUEST_TIME"), (-301, "INVALID_REQUEST_TIME"),
                                            (290, "ORDER_NOT_EXIST"), (-290, "ORDER_NOT_EXIST")])
def test_request_time_window(term, offset_s, code_):
    stamp = utc_timestamp(datetime.now(UTC) + timedelta(seconds=offset_s))
    resp = term.post_raw(INQ, json.dumps({"paymentRequestId": "nope"}).encode(), timestamp=stamp)
    assert _answer(term, resp)["resultCode"] == code_


def test_unparseable_request_time(term):
    resp = term.post_raw(INQ, b'{"paymentRequestId":"x"}', timestamp="2026-01-01 00:00:00")
    assert _answer(term, resp)["resultCode"] == "INVALID_REQUEST_TIME"


def test_unknown_client_and_key_version(term):
    resp = term.post_raw(INQ, b'{"paymentRequestId":"x"}', client_id="nobody")
    assert resp.headers["Client-Id"] == "nobody"
    assert _answer(term, resp)["resultCode"] == "ACCESS_DENIED"
    resp = term.post_raw(INQ, b'{"paymentRequestId":"x"}', key_version=7)
    assert _answer(term, resp)["resultCode"] == "KEY_NOT_FOUND"


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", b'{"paymentRequestId": 12}',
                                 b'{"paymentRequestId": "x", "n": null}', b'{}'])
def test_bad_bodies_are_param_illegal(term, raw):
    assert _answer(term, term.post_raw(INQ, raw))["resultCode"] == "PARAM_ILLEGAL"


def test_pay_validation(term):
    body = term.pay_body(code("0000"))
    for mutate in (lambda b: b.update(productCode="OTHER"),
                   lambda b: b["paymentAmount"].update(value="12.50"),
                   lambda b: b["paymentAmount"].update(value="0"),
                   lambda b: b["paymentAmount"].update(currency="XXX"),
                   lambda b: b["paymentMethod"].update(paymentMethodId="not-a-jwe"),
                   lambda b: b.update(paymentExpiryTime="2999-01-01T00:00:00.000Z"),
                   lambda b: b.update(paymentRequestId="x" * 65)):
        bad = json.loads(json.dumps(body))
        mutate(bad)
        assert term.post(PAY, bad)["result"]["resultCode"] == "PARAM_ILLEGAL"
    krw = json.loads(json.dumps(body))
    krw["paymentAmount"]["currency"] = "KRW"
    assert term.post(PAY, krw)["result"]["resultCode"] == "CURRENCY_NOT_SUPPORT"
    wrong_terminal = dict(body, terminalId="T-other")
    assert term.post(PAY, wrong_terminal)["result"]["resultCode"] == "ACCESS_DENIED"
    assert term.post(PAY, body)["result"]["resultCode"] == "SUCCESS"


def test_jwe_with_wrong_kid_is_refused(term):
    from terminal.codes import parse_payment_code
    from terminal.tokenise import CredentialEncrypter

    enc = CredentialEncrypter(public_key_pem=term.sb.encryption_public_key_path.read_bytes(), kid="other-kid")
    body = term.pay_body(code("0000"))
    body["paymentMethod"]["paymentMethodId"] = enc.encrypt(parse_payment_code(code("0000")))
    result = term.post(PAY, body)["result"]
    assert result["resultCode"] == "PARAM_ILLEGAL" and "kid" in result["resultMessage"]


def test_base_path_prefix_is_signed_as_on_the_wire(tmp_path, terminal_key):
    from sandbox.embedded import EmbeddedSandbox

    with EmbeddedSandbox(state_dir=tmp_path, slow_response_s=0, base_path="/api") as sb:
        assert sb.base_url.endswith("/api")
        term = make_terminal(sb, terminal_key)
        assert term.pay(code("0000"))["result"]["resultCode"] == "SUCCESS"  # signs /api/v1/payments/pay
        import requests

        from terminal.signing import signed_headers
        body = b'{"paymentRequestId":"x"}'
        hdrs = signed_headers(private_key=terminal_key, key_version=1, path=INQ, client_id=term.client_id, body=body)
        resp = requests.post(sb.base_url + INQ, data=body, headers=hdrs, verify=term.ca, timeout=10)
        assert resp.json()["result"]["resultCode"] == "INVALID_SIGNATURE"


# -- register / rotateKey -------------------------------------------------------------------

def _register(sb, key, activation_code, *, client_id="activation"):
    term = Terminal(sb, client_id=client_id, terminal_id="", private_key=key)
    body = {"activationCode": activation_code, "serialNumber": "SN-1", "publicKey": public_key_pem(key).decode(),
            "model": "pi5", "softwareVersion": "0.1.0"}
    return term, term.post("/v1/terminals/register", body)


def test_register_with_activation_code_then_pay(sandbox):
    key = generate_private_key()
    activation = sandbox.create_activation_code()
    _, body = _register(sandbox, key, activation)
    assert body["result"]["resultCode"] == "SUCCESS"
    assert body["clientId"].startswith("SBX-C-") and body["terminalId"].startswith("SBX-T-")
    assert body["keyVersion"] == "1" and body["currencies"] and body["merchant"]["merchantName"]
    assert load_public_key(body["acquirerSigningKey"].encode())
    assert body["acquirerEncryptionKey"]["kid"] == sandbox.encryption_kid
    # Same code, same key: the stored answer (interrupted provisioning resumes).
    assert _register(sandbox, key, activation)[1] == body
    # Same code, another key: refused.
    assert _register(sandbox, generate_private_key(), activation)[1]["result"]["resultCode"] == \
        "ACTIVATION_CODE_INVALID"
    term = Terminal(sandbox, client_id=body["clientId"], terminal_id=body["terminalId"], private_key=key)
    assert term.pay(code("0000"))["result"]["resultCode"] == "SUCCESS"
    codes = term.admin("GET", "/activation-codes").json()["activationCodes"]
    assert {"activationCode": activation, "used": True, "clientId": body["clientId"]}.items() <= \
        next(c for c in codes if c["activationCode"] == activation).items()


def test_register_refusals(sandbox):
    key = generate_private_key()
    assert _register(sandbox, key, "ACT-NOPE")[1]["result"]["resultCode"] == "ACTIVATION_CODE_INVALID"
    activation = sandbox.create_activation_code()
    assert _register(sandbox, key, activation, client_id="someone")[1]["result"]["resultCode"] == "ACCESS_DENIED"
    term = Terminal(sandbox, client_id="activation", terminal_id="", private_key=generate_private_key())
    body = {"activationCode": activation, "publicKey": public_key_pem(key).decode()}
    assert term.post("/v1/terminals/register", body)["result"]["resultCode"] == "INVALID_SIGNATURE"
    assert _register(sandbox, key, activation)[1]["result"]["resultCode"] == "SUCCESS"  # code still unused


def test_rotate_key(sandbox, terminal_key):
    old = generate_private_key()
    term = make_terminal(sandbox, old)
    new = generate_private_key()
    body = {"newPublicKey": public_key_pem(new).decode(), "newKeyVersion": "2"}
    answer = term.post("/v1/terminals/rotateKey", body)
    assert answer["result"]["resultCode"] == "SUCCESS" and answer["keyVersion"] == "2"
    assert term.post("/v1/terminals/rotateKey", body)["result"]["resultCode"] == "SUCCESS"  # idempotent
    other = {"newPublicKey": public_key_pem(generate_private_key()).decode(), "newKeyVersion": "2"}
    assert term.post("/v1/terminals/rotateKey", other)["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
    # The previous key still works for 24 h; the new one works.
    assert term.inquire("nope")["result"]["resultCode"] == "ORDER_NOT_EXIST"
    term.private_key, term.key_version = new, 2
    assert term.pay(code("0000"))["result"]["resultCode"] == "SUCCESS"
    # Old key with the new version number: signature fails.
    assert term.post(INQ, {"paymentRequestId": "x"}, private_key=old)["result"]["resultCode"] == "INVALID_SIGNATURE"
    # After 24 h the previous key is gone.
    sandbox.ctx.store.run("UPDATE client_keys SET superseded_ms = superseded_ms - 86400001 "
                          "WHERE client_id = ? AND key_version = 1", term.client_id)
    assert term.post(INQ, {"paymentRequestId": "x"}, private_key=old, key_version=1)["result"]["resultCode"] == \
        "KEY_NOT_FOUND"
    # Two rotations: only the immediately previous version is accepted.
    newer = generate_private_key()
    term.post("/v1/terminals/rotateKey", {"newPublicKey": public_key_pem(newer).decode(), "newKeyVersion": "3"})
    assert term.inquire("nope")["result"]["resultCode"] == "ORDER_NOT_EXIST"  # v2, previous
    lower = {"newPublicKey": public_key_pem(generate_private_key()).decode(), "newKeyVersion": "1"}
    term.private_key, term.key_version = newer, 3
    assert term.post("/v1/terminals/rotateKey", lower)["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
