"""Fault switches, set through the admin API and at construction."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from terminal.signing import parse_timestamp, utc_timestamp

from .helpers import code, new_id

PAY = "/v1/payments/pay"


def _set(term, *faults):
    resp = term.admin("PUT", "/faults", json={"faults": list(faults)})
    assert resp.status_code == 200, resp.text
    return resp.json()["faults"]


def _view(term, prid):
    resp = term.admin("GET", f"/payments/{prid}")
    return resp.json() if resp.status_code == 200 else None


def test_delay_commits_then_answers_late(term):
    _set(term, {"kind": "delay", "seconds": 0.5, "path": PAY, "count": 1})
    prid = new_id()
    with pytest.raises(requests.exceptions.ReadTimeout):
        term.pay(code("0000"), prid=prid, timeout=(3, 0.05))
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"  # not delayed: other path
    assert term.admin("GET", "/faults").json()["faults"] == []  # count consumed


def test_drop_before_processing_charges_nothing(term):
    _set(term, {"kind": "drop_before", "path": PAY, "count": 1})
    prid = new_id()
    with pytest.raises(requests.exceptions.ConnectionError):
        term.pay(code("0000"), prid=prid)
    assert term.inquire(prid)["result"]["resultCode"] == "ORDER_NOT_EXIST"
    assert term.pay(code("0000"), prid=prid)["result"]["resultCode"] == "SUCCESS"  # switch used up


def test_drop_after_processing_commits(term):
    _set(term, {"kind": "drop_after", "path": PAY, "count": 1})
    prid = new_id()
    with pytest.raises(requests.exceptions.ConnectionError):
        term.pay(code("0000"), prid=prid)
    assert _view(term, prid)["status"] == "SUCCESS"
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_drop_after_on_cancel(term):
    prid = new_id()
    term.pay(code("0093"), prid=prid)
    _set(term, {"kind": "drop_after", "path": "/v1/payments/cancelPayment", "count": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        term.cancel(prid)
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_errors_before_processing(term, status):
    _set(term, {"kind": "http_error", "status": status, "path": PAY, "count": 1})
    prid = new_id()
    resp = term.post_raw(PAY, json.dumps(term.pay_body(code("0000"), prid=prid)).encode())
    assert resp.status_code == status and "Signature" not in resp.headers
    with pytest.raises(ValueError):
        resp.json()
    assert term.inquire(prid)["result"]["resultCode"] == "ORDER_NOT_EXIST"


def test_http_error_after_processing(term):
    _set(term, {"kind": "http_error", "status": 502, "phase": "after", "path": PAY, "count": 1})
    prid = new_id()
    resp = term.post_raw(PAY, json.dumps(term.pay_body(code("0000"), prid=prid)).encode())
    assert resp.status_code == 502
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_bad_signature(term):
    _set(term, {"kind": "bad_signature", "path": PAY, "count": 1})
    prid = new_id()
    resp = term.post_raw(PAY, json.dumps(term.pay_body(code("0000"), prid=prid)).encode())
    assert resp.status_code == 200 and resp.json()["result"]["resultCode"] == "SUCCESS"
    assert term.verify(resp, PAY) == (False, "signature does not verify")
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_malformed_json_is_signed_but_unparseable(term):
    _set(term, {"kind": "malformed_json", "path": PAY, "count": 1})
    resp = term.post_raw(PAY, json.dumps(term.pay_body(code("0000"))).encode())
    assert resp.status_code == 200 and term.verify(resp, PAY)[0]
    with pytest.raises(ValueError):
        json.loads(resp.content)


def test_clock_skew_shifts_response_time_and_request_check(term):
    _set(term, {"kind": "clock_skew", "seconds": 600})
    resp = term.post_raw("/v1/payments/inquiryPayment", b'{"paymentRequestId":"x"}')
    assert resp.json()["result"]["resultCode"] == "INVALID_REQUEST_TIME"  # our clock is 600 s behind theirs
    stamp = parse_timestamp(resp.headers["Response-Time"])
    assert (stamp - datetime.now(UTC)).total_seconds() > 500
    from datetime import timedelta
    ahead = utc_timestamp(datetime.now(UTC) + timedelta(seconds=600))
    resp = term.post_raw("/v1/payments/inquiryPayment", b'{"paymentRequestId":"x"}', timestamp=ahead)
    assert resp.json()["result"]["resultCode"] == "ORDER_NOT_EXIST"


def test_late_success_still_ends_cancelled(term):
    prid = new_id()
    term.pay(code("0093"), prid=prid)
    _set(term, {"kind": "late_success", "path": "/v1/payments/cancelPayment", "count": 1})
    assert term.cancel(prid)["result"]["resultCode"] == "SUCCESS"
    view = _view(term, prid)
    assert view["status"] == "CANCELLED" and view["lateSuccess"] is True and view["paymentTime"]
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"


def test_path_filter_and_count(term):
    _set(term, {"kind": "http_error", "status": 503, "path": "/v1/payments/refund", "count": 2})
    prid = new_id()
    assert term.pay(code("0000"), prid=prid)["result"]["resultCode"] == "SUCCESS"  # other path unaffected
    pay = term.inquire(prid)
    body = {"refundRequestId": new_id("RF"), "paymentId": pay["paymentId"],
            "refundAmount": {"currency": "USD", "value": "100"}}
    statuses = [term.post_raw("/v1/payments/refund", json.dumps(body).encode()).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_admin_add_list_reset_and_validation(term):
    assert term.admin("POST", "/faults", json={"kind": "delay", "seconds": 0}).status_code == 200
    assert term.admin("POST", "/faults", json={"faults": [{"kind": "bad_signature", "count": 1}]}).status_code == 200
    kinds = [f["kind"] for f in term.admin("GET", "/faults").json()["faults"]]
    assert kinds == ["delay", "bad_signature"]
    assert term.admin("POST", "/faults/reset").json() == {"faults": []}
    assert term.admin("POST", "/faults", json={"kind": "explode"}).status_code == 400
    assert term.admin("POST", "/faults", json={"kind": "http_error", "status": 404}).status_code == 400
    assert term.admin("DELETE", "/faults").json() == {"faults": []}


def test_faults_from_construction_settings(tmp_path, terminal_key):
    from sandbox.embedded import EmbeddedSandbox

    from .conftest import make_terminal

    with EmbeddedSandbox(state_dir=tmp_path, slow_response_s=0,
                         faults=[{"kind": "http_error", "status": 500, "count": 1}]) as sb:
        term = make_terminal(sb, terminal_key)
        resp = term.post_raw("/v1/payments/inquiryPayment", b'{"paymentRequestId":"x"}')
        assert resp.status_code == 500
        assert term.inquire("x")["result"]["resultCode"] == "ORDER_NOT_EXIST"
        sb.set_faults(kind="bad_signature")
        resp = term.post_raw("/v1/payments/inquiryPayment", b'{"paymentRequestId":"x"}')
        assert not term.verify(resp, "/v1/payments/inquiryPayment")[0]


def test_slow_response_setting_via_admin(term, sandbox):
    before = term.admin("GET", "/settings").json()["slowResponseS"]
    try:
        assert term.admin("POST", "/settings", json={"slowResponseS": 0}).json()["slowResponseS"] == 0
        assert term.pay(code("0098"))["result"]["resultCode"] == "SUCCESS"
    finally:
        term.admin("POST", "/settings", json={"slowResponseS": before})


def _late_deliveries(term, prid):
    return [d for d in term.admin("GET", "/late-deliveries").json()["lateDeliveries"]
            if d["paymentRequestId"] == prid]


def _until(condition, timeout_s=20.0):
    """Bounded wait on a condition (the late pay is delivered by the sandbox's event loop)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_late_pay_after_a_cancel_of_an_unseen_id_charges_nothing(term):
    """The pay is held on its way; the terminal cancels the id it never saw answered; the
    pay then reaches the acquirer, which answers ORDER_IS_CLOSED and charges nothing."""
    _set(term, {"kind": "late_delivery", "path": PAY, "count": 1, "seconds": 30})
    prid = new_id()
    with pytest.raises(requests.exceptions.ConnectionError):
        term.pay(code("0000"), prid=prid)
    assert term.inquire(prid)["result"]["resultCode"] == "ORDER_NOT_EXIST"
    assert _late_deliveries(term, prid) == [dict(_late_deliveries(term, prid)[0], delivered=False)]
    assert term.cancel(prid)["result"]["resultStatus"] == "S"
    done = _until(lambda: [d for d in _late_deliveries(term, prid) if d["delivered"]])
    assert done[0]["releasedBy"] == "cancel" and done[0]["resultCode"] == "ORDER_IS_CLOSED"
    view = _view(term, prid)
    assert view["status"] == "CANCELLED" and view["closedUnseen"] is True
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"


def test_late_pay_without_a_cancel_charges_when_it_arrives(term):
    """Without a cancel the held pay lands after its hold: why the terminal must close ids."""
    _set(term, {"kind": "late_delivery", "path": PAY, "count": 1, "seconds": 0.2})
    prid = new_id()
    with pytest.raises(requests.exceptions.ConnectionError):
        term.pay(code("0000"), prid=prid)
    done = _until(lambda: [d for d in _late_deliveries(term, prid) if d["delivered"]])
    assert done[0]["releasedBy"] == "timeout" and done[0]["resultCode"] == "SUCCESS"
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_inquiry_fail_form_for_an_unseen_id(term):
    _set(term, {"kind": "inquiry_fail_form"})
    prid = new_id()
    body = term.inquire(prid)
    assert body["result"]["resultStatus"] == "S" and body["paymentStatus"] == "FAIL"
    assert body["paymentResult"]["resultCode"] == "ORDER_NOT_EXIST"
    assert body["paymentResult"]["resultStatus"] == "F" and body["paymentRequestId"] == prid
    term.pay(code("0000"), prid=prid)
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"  # a seen id answers as usual
