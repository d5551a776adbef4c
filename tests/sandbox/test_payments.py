"""pay, inquiryPayment and cancelPayment against the sandbox over real HTTPS."""
from __future__ import annotations

import pytest

from .helpers import cn_code, code, new_id


def test_approval_returns_signed_success_with_token(term):
    body = term.pay(code("0000"), value="1250")
    assert body["result"] == {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"}
    assert body["paymentAmount"] == {"currency": "USD", "value": "1250"}
    assert body["paymentId"].startswith("SBXPAY")
    assert body["paymentMethod"]["paymentToken"].startswith("ptk_")
    assert body["paymentTime"].endswith("Z")
    assert "customerAmount" not in body


def test_unlisted_suffix_approves(term):
    assert term.pay(code("1234"))["result"]["resultCode"] == "SUCCESS"


@pytest.mark.parametrize("suffix,result_code", [
    ("0051", "USER_BALANCE_NOT_ENOUGH"), ("0054", "PAYMENT_CODE_EXPIRED"), ("0059", "RISK_REJECT"),
])
def test_declines(term, suffix, result_code):
    prid = new_id()
    body = term.pay(code(suffix), prid=prid)
    assert body["result"]["resultStatus"] == "F" and body["result"]["resultCode"] == result_code
    assert body["paymentRequestId"] == prid
    inquiry = term.inquire(prid)
    assert inquiry["paymentStatus"] == "FAIL"
    assert inquiry["paymentResult"] == {"resultStatus": "F", "resultCode": result_code}


def test_alipay_cn_code_settles_in_cny(term):
    body = term.pay(cn_code("0000"), value="1250", currency="USD")
    assert body["customerAmount"] == {"currency": "CNY", "value": "8875"}  # 12.50 * 7.1000
    assert body["exchangeRate"] == "7.1000"
    body = term.pay(cn_code("0000"), value="1000", currency="CNY")
    assert "customerAmount" not in body


def test_same_request_is_idempotent_even_with_a_fresh_jwe(term):
    prid = new_id()
    first = term.pay(code("0000"), prid=prid, order_ref="ORD-1")
    second = term.pay(code("0000"), prid=prid, order_ref="ORD-1")  # new encryption, same code
    assert second == first


@pytest.mark.parametrize("change", [{"value": "999"}, {"order_ref": "OTHER"}, {"code": code("7777")}])
def test_same_id_different_request_is_inconsistent(term, change):
    prid = new_id()
    term.pay(code("0000"), prid=prid, order_ref="ORD-1")
    kwargs = {"prid": prid, "order_ref": change.get("order_ref", "ORD-1"), "value": change.get("value", "1250")}
    body = term.pay(change.get("code", code("0000")), **kwargs)
    assert body["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
    assert body["result"]["resultStatus"] == "F"
    assert body["paymentRequestId"] == prid
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_inquiry_unknown_is_order_not_exist(term):
    body = term.inquire(new_id())
    assert body["result"]["resultCode"] == "ORDER_NOT_EXIST" and body["result"]["resultStatus"] == "F"


def test_inquiry_by_payment_id(term):
    pay = term.pay(code("0000"))
    body = term.post("/v1/payments/inquiryPayment", {"paymentId": pay["paymentId"]})
    assert body["paymentStatus"] == "SUCCESS" and body["paymentRequestId"] == pay["paymentRequestId"]


def test_0091_succeeds_on_third_inquiry(term):
    prid = new_id()
    body = term.pay(code("0091"), prid=prid)
    assert body["result"]["resultStatus"] == "U" and body["result"]["resultCode"] == "PAYMENT_IN_PROCESS"
    statuses = [term.inquire(prid)["paymentStatus"] for _ in range(4)]
    assert statuses == ["PROCESSING", "PROCESSING", "SUCCESS", "SUCCESS"]
    final = term.inquire(prid)
    assert final["paymentResult"] == {"resultStatus": "S", "resultCode": "SUCCESS"}
    assert final["paymentMethod"]["paymentToken"]


def test_0092_fails_on_second_inquiry(term):
    prid = new_id()
    assert term.pay(code("0092"), prid=prid)["result"]["resultCode"] == "PAYMENT_IN_PROCESS"
    statuses = [term.inquire(prid)["paymentStatus"] for _ in range(3)]
    assert statuses == ["PROCESSING", "FAIL", "FAIL"]


def test_0093_processes_until_cancelled(term):
    prid = new_id()
    assert term.pay(code("0093"), prid=prid)["result"]["resultStatus"] == "U"
    assert all(term.inquire(prid)["paymentStatus"] == "PROCESSING" for _ in range(5))
    cancel = term.cancel(prid)
    assert cancel["result"]["resultCode"] == "SUCCESS" and cancel["paymentRequestId"] == prid
    inquiry = term.inquire(prid)
    assert inquiry["paymentStatus"] == "CANCELLED"
    assert inquiry["paymentResult"] == {"resultStatus": "F", "resultCode": "ORDER_IS_CLOSED"}


def test_0096_system_error_but_succeeded(term):
    prid = new_id()
    body = term.pay(code("0096"), prid=prid)
    assert body["result"]["resultStatus"] == "U" and body["result"]["resultCode"] == "SYSTEM_ERROR"
    assert "paymentTime" not in body
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_0098_slow_but_succeeded(term, sandbox):
    import requests

    prid = new_id()
    with pytest.raises(requests.exceptions.ReadTimeout):
        term.pay(code("0098"), prid=prid, timeout=(3, 0.05))  # slow_response_s is 0.3 here
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_0098_answers_success_when_waited_for(term):
    assert term.pay(code("0098"), timeout=10)["result"]["resultCode"] == "SUCCESS"


def test_inquiry_counts_only_change_processing_payments(term):
    prid = new_id()
    term.pay(code("0000"), prid=prid)
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_cancel_a_success_voids_it(term):
    prid = new_id()
    term.pay(code("0000"), prid=prid)
    assert term.cancel(prid)["result"]["resultCode"] == "SUCCESS"
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"
    assert term.cancel(prid)["result"]["resultCode"] == "SUCCESS"  # idempotent


def test_cancel_unseen_closes_the_id(term):
    prid = new_id()
    cancel = term.cancel(prid)
    assert cancel["result"]["resultCode"] == "SUCCESS" and "paymentId" not in cancel
    late_pay = term.pay(code("0000"), prid=prid)
    assert late_pay["result"] == {"resultStatus": "F", "resultCode": "ORDER_IS_CLOSED",
                                  "resultMessage": "The order is closed (cancelled)"}
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"
    view = term.admin("GET", f"/payments/{prid}").json()
    assert view["closedUnseen"] is True and view["paymentId"] is None


def test_cancel_of_a_failed_payment_is_accepted(term):
    prid = new_id()
    term.pay(code("0051"), prid=prid)
    assert term.cancel(prid)["result"]["resultCode"] == "SUCCESS"
    assert term.inquire(prid)["paymentStatus"] == "CANCELLED"


def test_cancel_window_closes_after_24h(term):
    prid = new_id()
    term.pay(code("0000"), prid=prid)
    aged = term.admin("POST", f"/payments/{prid}/age", json={"hours": 25}).json()
    assert aged["status"] == "SUCCESS"
    body = term.cancel(prid)
    assert body["result"] == {"resultStatus": "F", "resultCode": "CANCEL_WINDOW_EXCEED",
                              "resultMessage": "The cancel window has closed: refund instead"}
    assert term.inquire(prid)["paymentStatus"] == "SUCCESS"


def test_cancel_within_window_after_23h(term):
    prid = new_id()
    term.pay(code("0000"), prid=prid)
    term.admin("POST", f"/payments/{prid}/age", json={"hours": 23})
    assert term.cancel(prid)["result"]["resultCode"] == "SUCCESS"
