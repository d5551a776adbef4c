"""Every route of terminal-interfaces.md §2 through a real server on loopback."""
from __future__ import annotations

import requests

from tests.support import MANAGER_PIN, acquirer_payment

from .conftest import code_for


def test_status_names_state_devices_and_sandbox(served, client):
    status = client.status()
    assert status.state == "IDLE" and status.transactionId is None
    assert status.terminalId.startswith("T-") and status.version and status.currency == "USD"
    assert status.devices.scanner.kind == "virtual" and status.devices.printer.kind == "file"
    assert status.scansEnabled is True and status.lastEventSeq >= 0
    assert "sandbox" not in status      # only an embedded sandbox is shown (rig profile)


def test_sale_scan_approve_then_get_and_list(served, client):
    started = client.sale("12.50", reference="ECR-1")
    assert started.state == "CREATED" and started.awaitingScan is True and started.reference == "ECR-1"
    assert client.status().state == "AWAITING_SCAN"
    assert client.get(started).awaitingScan is True        # a sale awaiting its scan is visible
    accepted = client.scan(code_for("0000"))
    assert accepted.transactionId == started.id and accepted.state == "PROCESSING"
    done = client.wait(started)
    assert done.state == "APPROVED", (done.resultCode, done.resultMessage)
    assert done.state == "APPROVED" and done.amount.to_dict() == {"currency": "USD", "value": "1250"}
    assert done.maskedCode == "281012**********00" and done.paymentId
    assert client.status().state == "RESULT"
    listed = client.transactions()
    assert [t.id for t in listed] == [started.id]
    assert client.transactions(since="2000-01-01")[0].id == started.id
    assert client.transactions(since="2999-01-01") == []


def test_tip_is_added_to_the_total(client):
    tx = client.sale("10.00", tip="1.50")
    client.scan(code_for("0000"))
    done = client.wait(tx)
    assert done.amount.value == "1150" and done.tip.value == "150"


def test_decline_is_a_result_not_an_error(client):
    tx = client.sale("8.00")
    client.scan(code_for("0051"))
    done = client.wait(tx)
    assert (done.state, done.resultCode) == ("DECLINED", "USER_BALANCE_NOT_ENOUGH")


def test_cancel_awaiting_scan_aborts_without_sending(served, client):
    tx = client.sale("6.00")
    aborted = client.cancel(tx)
    assert aborted.state == "CANCELLED" and aborted.aborted is True
    assert client.get(tx).aborted is True
    assert client.cancel(tx) == aborted          # cancelling again: the same answer
    assert client.status().state == "IDLE"
    assert client.transactions() == []


def test_cancel_voids_an_approved_payment(served, sandbox, client):
    tx = client.sale("4.20")
    client.scan(code_for("0000"))
    paid = client.wait(tx)
    voided = client.cancel(paid)
    assert voided.state == "CANCELLED"
    assert acquirer_payment(sandbox, paid.paymentRequestId)["status"] == "CANCELLED"


def test_cancel_refused_for_a_declined_payment(client):
    tx = client.sale("8.00")
    client.scan(code_for("0051"))
    declined = client.wait(tx)
    r = requests.post(f"{client.base_url}/v1/transactions/{declined.id}/cancel", headers=client._http.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "NOT_VOIDABLE"


def test_refunds_partial_then_rest(client):
    tx = client.sale("10.00")
    client.scan(code_for("0000"))
    paid = client.wait(tx)
    first = client.refund(paid, "4.00", pin=MANAGER_PIN)
    assert first.refund.state == "SUCCESS" and first.refund.amount.value == "400"
    assert first.transaction.state == "PARTIALLY_REFUNDED"
    rest = client.refund(paid, pin=MANAGER_PIN)
    assert rest.refund.amount.value == "600" and rest.transaction.state == "REFUNDED"


def test_refund_errors(served, client):
    tx = client.sale("10.00")
    client.scan(code_for("0000"))
    paid = client.wait(tx)
    h = served.headers()
    url = f"{served.url}/v1/transactions/{paid.id}/refunds"
    wrong_pin = requests.post(url, headers=h, json={"managerPin": "0000"})
    assert wrong_pin.status_code == 403 and wrong_pin.json()["error"]["code"] == "WRONG_PIN"
    too_much = requests.post(url, headers=h, json={"managerPin": MANAGER_PIN,
                                                   "amount": {"currency": "USD", "value": "1001"}})
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "REFUND_AMOUNT_EXCEED"
    other_currency = requests.post(url, headers=h, json={"managerPin": MANAGER_PIN,
                                                         "amount": {"currency": "CAD", "value": "100"}})
    assert other_currency.status_code == 400 and other_currency.json()["error"]["code"] == "BAD_AMOUNT"
    missing = requests.post(f"{served.url}/v1/transactions/Tnope/refunds", headers=h, json={"managerPin": "1234"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_batch_close(client):
    tx = client.sale("7.00")
    client.scan(code_for("0000"))
    client.wait(tx)
    report = client.close_batch()
    assert report.matched is True and report.batchId
    assert report.totals[0].paymentCount == "1" and report.totals[0].paymentAmount == "700"


def test_unknown_transaction_is_404(served):
    r = requests.get(f"{served.url}/v1/transactions/Tdoesnotexist", headers=served.headers())
    assert r.status_code == 404 and r.json() == {"error": {"code": "NOT_FOUND", "message": r.json()["error"]["message"]}}


def test_unknown_route_and_method(served):
    assert requests.get(f"{served.url}/v1/nothing", headers=served.headers()).json()["error"]["code"] == "NOT_FOUND"
    r = requests.delete(f"{served.url}/v1/status", headers=served.headers())
    assert r.status_code == 405 and r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_unknown_result_resolved_approved_and_the_wait_sees_inquiries(client):
    tx = client.sale("23.75")
    client.scan(code_for("0091"))
    assert client.wait(tx, state="INQUIRING").id == tx.id
    assert client.wait(tx).state == "APPROVED"


def test_receipt_printed_for_an_approved_sale(served, client):
    tx = client.sale("3.30")
    client.scan(code_for("0000"))
    assert client.wait(tx).state == "APPROVED"
    served.control.close()          # drains the receipt printer's queue
    receipts = served.config_path.parent / "receipts.txt"
    assert "3.30" in receipts.read_text(encoding="utf-8")


def test_a_refund_carries_its_reason_to_the_journal_and_the_acquirer(served, client, sandbox):
    tx = client.sale("10.00")
    client.scan(code_for("0000"))
    paid = client.wait(tx)
    done = client.refund(paid, "3.00", pin=MANAGER_PIN, reason="other", reason_text="wrong size")
    assert (done.refund.reason, done.refund.reasonText) == ("other", "wrong size")
    assert [(r.reason, r.reasonText) for r in client.get(paid).refunds] == [("other", "wrong size")]
    from tests.support import admin

    sent = admin(sandbox, "GET", f"/refunds/{done.refund.refundRequestId}")
    assert sent["refundReason"] == "wrong size"
    rest = client.refund(paid, pin=MANAGER_PIN, reason="damaged")
    assert rest.refund.reason == "damaged" and rest.refund.reasonText == ""
    assert admin(sandbox, "GET", f"/refunds/{rest.refund.refundRequestId}")["refundReason"] == "Damaged item"


def test_a_bad_refund_reason_is_refused_before_the_pin_is_tried(served, client):
    tx = client.sale("10.00")
    client.scan(code_for("0000"))
    paid = client.wait(tx)
    url = f"{served.url}/v1/transactions/{paid.id}/refunds"
    h = served.headers()
    unknown = requests.post(url, headers=h, json={"managerPin": "0000", "reason": "changed-mind"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "BAD_REQUEST"
    assert "'returned', 'damaged', 'overcharged' or 'other'" in unknown.json()["error"]["message"]
    bare_other = requests.post(url, headers=h, json={"managerPin": "0000", "reason": "other"})
    assert bare_other.status_code == 400 and bare_other.json()["error"]["code"] == "BAD_REASON"
    assert "needs a text" in bare_other.json()["error"]["message"]
    assert client.get(paid).refunds == [] and client.get(paid).state == "APPROVED"
    # the wrong PIN was never tried: five wrong tries lock it, and these did not count
    wrong = requests.post(url, headers=h, json={"managerPin": "0000", "reason": "returned"})
    assert wrong.json()["error"]["code"] == "WRONG_PIN" and "(4 tries left)" in wrong.json()["error"]["message"]
