"""refund, inquiryRefund and batchClose."""
from __future__ import annotations

from .conftest import make_terminal
from .helpers import code, new_id


def test_partial_and_multiple_refunds_up_to_captured(term):
    pay = term.pay(code("0000"), value="1000")
    first = term.refund(pay["paymentId"], "400")
    assert first["result"]["resultCode"] == "SUCCESS" and first["refundId"].startswith("SBXREF")
    assert first["refundAmount"] == {"currency": "USD", "value": "400"}
    assert term.refund(pay["paymentId"], "600")["result"]["resultCode"] == "SUCCESS"
    over = term.refund(pay["paymentId"], "1")
    assert over["result"] == {"resultStatus": "F", "resultCode": "REFUND_AMOUNT_EXCEED",
                              "resultMessage": "The refunds would exceed the captured amount"}


def test_refund_is_idempotent_on_refund_request_id(term):
    pay = term.pay(code("0000"), value="1000")
    rrid = new_id("RF")
    first = term.refund(pay["paymentId"], "700", rrid=rrid)
    assert term.refund(pay["paymentId"], "700", rrid=rrid) == first
    assert term.refund(pay["paymentId"], "500", rrid=rrid)["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
    assert term.refund(pay["paymentId"], "400")["result"]["resultCode"] == "REFUND_AMOUNT_EXCEED"


def test_inquiry_refund(term):
    pay = term.pay(code("0000"), value="1000")
    ok, too_much = new_id("RF"), new_id("RF")
    term.refund(pay["paymentId"], "300", rrid=ok)
    term.refund(pay["paymentId"], "5000", rrid=too_much)
    body = term.post("/v1/payments/inquiryRefund", {"refundRequestId": ok})
    assert body["result"]["resultCode"] == "SUCCESS" and body["refundStatus"] == "SUCCESS"
    assert body["refundAmount"] == {"currency": "USD", "value": "300"}
    failed = term.post("/v1/payments/inquiryRefund", {"refundRequestId": too_much})
    assert failed["refundStatus"] == "FAIL"
    assert failed["refundResult"] == {"resultStatus": "F", "resultCode": "REFUND_AMOUNT_EXCEED"}
    unknown = term.post("/v1/payments/inquiryRefund", {"refundRequestId": new_id("RF")})
    assert unknown["result"]["resultCode"] == "ORDER_NOT_EXIST"


def test_refund_refusals(term):
    assert term.refund("SBXPAY-none", "100")["result"]["resultCode"] == "ORDER_NOT_EXIST"
    declined = term.pay(code("0051"))
    assert term.refund(declined["paymentId"], "100")["result"]["resultCode"] == "ORDER_STATUS_INVALID"
    pay = term.pay(code("0000"))
    assert term.refund(pay["paymentId"], "100", currency="EUR")["result"]["resultCode"] == "PARAM_ILLEGAL"
    prid = new_id()
    old = term.pay(code("0000"), prid=prid)
    term.admin("POST", f"/payments/{prid}/age", json={"hours": 366 * 24})
    assert term.refund(old["paymentId"], "100")["result"]["resultCode"] == "REFUND_WINDOW_EXCEED"


def test_cancel_after_refund_is_refused(term):
    prid = new_id()
    pay = term.pay(code("0000"), prid=prid)
    term.refund(pay["paymentId"], "100")
    assert term.cancel(prid)["result"]["resultCode"] == "ORDER_STATUS_INVALID"


def _close(term, totals, batch_id=None):
    return term.post("/v1/terminals/batchClose", {
        "batchId": batch_id or new_id("B"), "openedAt": "2026-01-01T00:00:00.000Z",
        "closedAt": "2026-01-01T01:00:00.000Z", "totals": totals})


def _entry(currency, pc, pa, rc, ra):
    return {"currency": currency, "paymentCount": str(pc), "paymentAmount": str(pa),
            "refundCount": str(rc), "refundAmount": str(ra)}


def test_batch_close_totals_and_boundaries(sandbox, terminal_key):
    term = make_terminal(sandbox, terminal_key)
    p1 = term.pay(code("0000"), value="1000")
    term.pay(code("0000"), value="500", currency="EUR")
    term.refund(p1["paymentId"], "1000")                 # payment still counted
    term.pay(code("0051"), value="700")                  # failed: not counted
    cancelled = new_id()
    term.pay(code("0000"), value="900", prid=cancelled)
    term.cancel(cancelled)                               # cancelled: not counted
    term.pay(code("0093"), value="300")                  # still processing: not final
    expected = [_entry("EUR", 1, 500, 0, 0), _entry("USD", 1, 1000, 1, 1000)]
    batch_id = new_id("B")
    body = _close(term, expected, batch_id)
    assert body["result"]["resultCode"] == "SUCCESS"
    assert body["matched"] == "true" and body["acquirerTotals"] == expected and "transactions" not in body
    assert _close(term, expected, batch_id) == body       # idempotent on batchId
    assert _close(term, [], batch_id)["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
    # Next batch: only what became final since.
    p2 = term.pay(code("0000"), value="250")
    body = _close(term, [_entry("USD", 1, 999, 0, 0)])
    assert body["matched"] == "false"
    assert body["acquirerTotals"] == [_entry("USD", 1, 250, 0, 0)]
    assert [t["paymentId"] for t in body["transactions"]] == [p2["paymentId"]]
    assert body["transactions"][0]["type"] == "PAYMENT"
    empty = _close(term, [])
    assert empty["matched"] == "true" and empty["acquirerTotals"] == []


def test_batch_close_lists_refunds_when_unmatched(sandbox, terminal_key):
    term = make_terminal(sandbox, terminal_key)
    pay = term.pay(code("0000"), value="800")
    _close(term, [_entry("USD", 1, 800, 0, 0)])
    refund = term.refund(pay["paymentId"], "200")
    body = _close(term, [])
    assert body["matched"] == "false"
    assert body["transactions"] == [{
        "type": "REFUND", "refundRequestId": refund["refundRequestId"], "refundId": refund["refundId"],
        "paymentRequestId": pay["paymentRequestId"], "paymentId": pay["paymentId"],
        "amount": {"currency": "USD", "value": "200"}, "status": "SUCCESS",
        "time": body["transactions"][0]["time"]}]


def test_batch_close_bad_totals(term):
    assert _close(term, [{"currency": "USD"}])["result"]["resultCode"] == "PARAM_ILLEGAL"
