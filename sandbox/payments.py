"""pay, inquiryPayment and cancelPayment: the payment's life at the acquirer.

A payment row is keyed by (clientId, paymentRequestId). Its status is SUCCESS, FAIL,
PROCESSING or CANCELLED; `final_seq` is stamped when it becomes final (SUCCESS, FAIL or
CANCELLED) and orders it into batches. A cancel of an id never seen creates a closed row
(`closed_unseen`), so a later pay with that id is answered ORDER_IS_CLOSED.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from . import behaviour
from .amounts import Amount
from .auth import Client
from .keys import CredentialError, SandboxKeys
from .logs import log_event, mask
from .protocol import (
    DAY_MS,
    Refusal,
    illegal,
    money_api,
    now_ms,
    req_id,
    req_money,
    req_obj,
    req_str,
    result,
    timestamp,
)
from .signatures import SignatureError, read_time
from .store import Store

CANCEL_WINDOW_MS = DAY_MS
MAX_EXPIRY_AHEAD_MS = 30 * 60_000 + 300_000  # 30 min, plus the tolerated clock drift
PAYMENT_RESULT = {
    "SUCCESS": ("S", "SUCCESS"), "PROCESSING": ("U", "PAYMENT_IN_PROCESS"),
    "CANCELLED": ("F", "ORDER_IS_CLOSED"),
}


@dataclass
class PayAnswer:
    body: dict
    slow: bool = False


class Payments:
    def __init__(self, *, store: Store, keys: SandboxKeys, currencies: Iterable[str] = ()):
        self.store = store
        self.keys = keys
        self.currencies = set(currencies)

    # -- pay -------------------------------------------------------------------------------

    def pay(self, client: Client, data: dict) -> PayAnswer:
        prid = req_id(data, "paymentRequestId")
        if data.get("productCode") != "IN_STORE_PAYMENT":
            raise illegal("productCode must be IN_STORE_PAYMENT")
        amount = req_money(data, "paymentAmount")
        if self.currencies and amount.currency not in self.currencies:
            raise Refusal("CURRENCY_NOT_SUPPORT", f"{amount.currency} is not accepted for this merchant")
        order = req_obj(data, "order")
        order_ref = req_str(order, "referenceOrderId")
        method = req_obj(data, "paymentMethod")
        method_type = req_str(method, "paymentMethodType")
        if data.get("terminalId") != client.terminal_id:
            raise Refusal("ACCESS_DENIED", "terminalId does not belong to this client")
        expiry = data.get("paymentExpiryTime")
        if expiry is not None:
            _check_expiry(expiry)
        try:
            code = self.keys.decrypt_credential(method.get("paymentMethodId"))
        except CredentialError as exc:
            raise illegal(str(exc)) from None
        if not (code.isascii() and code.isdigit() and 16 <= len(code) <= 24):
            raise Refusal("INVALID_PAYMENT_CODE")
        code_hash = hmac.new(self.keys.fingerprint_secret, code.encode(), hashlib.sha256).hexdigest()
        with self.store.tx():
            row = self.store.payment(client.client_id, prid)
            if row is not None:
                return self._replay(row, amount, order_ref, code_hash)
            outcome = behaviour.pay_outcome(code[-4:])
            row = self._create(client, prid, amount, order_ref, method_type, code, code_hash, outcome)
        log_event("pay", client=client.client_id, paymentRequestId=prid, code=mask(code),
                  amount=str(amount), status=row["status"], answer=outcome.pay_result_code)
        brief = outcome.pay_result_code != "SUCCESS"  # 0096 answers SYSTEM_ERROR, nothing more
        body = {"result": result(outcome.pay_result_code), **payment_fields(row, brief=brief)}
        return PayAnswer(body, slow=outcome.slow)

    def _create(self, client: Client, prid: str, amount: Amount, order_ref: str, method_type: str, code: str,
                code_hash: str, outcome: behaviour.PayOutcome) -> dict:
        now = now_ms()
        n = self.store.next_value("payment_id")
        token = "ptk_" + hmac.new(self.keys.fingerprint_secret, b"token:" + code.encode(),
                                  hashlib.sha256).hexdigest()[:32]
        row = {
            "client_id": client.client_id, "payment_request_id": prid,
            "payment_id": f"SBXPAY{n:010d}", "status": outcome.status, "result_code": outcome.result_code,
            "pay_result_code": outcome.pay_result_code, "currency": amount.currency, "value": amount.minor,
            "order_ref": order_ref, "code_hash": code_hash, "code_masked": mask(code),
            "test_suffix": code[-4:], "payment_method_type": method_type, "payment_token": token,
            "created_ms": now,
        }
        settled = behaviour.customer_amount(code, amount)
        if settled is not None:
            row.update(customer_currency=settled[0].currency, customer_value=settled[0].minor,
                       exchange_rate=settled[1])
        if outcome.status in ("SUCCESS", "FAIL"):
            row.update(final_ms=now, final_seq=self.store.next_value("final_seq"))
        if outcome.status == "SUCCESS":
            row["payment_time_ms"] = now
        self.store.insert("payments", row)
        return _written(self.store.payment(client.client_id, prid))

    def _replay(self, row: dict, amount: Amount, order_ref: str, code_hash: str) -> PayAnswer:
        if row["closed_unseen"]:
            return PayAnswer({"result": result("ORDER_IS_CLOSED"), "paymentRequestId": row["payment_request_id"]})
        same = (row["currency"], row["value"], row["order_ref"]) == (amount.currency, amount.minor, order_ref)
        if not same or not hmac.compare_digest(row["code_hash"], code_hash):
            raise Refusal("REPEAT_REQ_INCONSISTENT")
        log_event("pay.replay", client=row["client_id"], paymentRequestId=row["payment_request_id"],
                  status=row["status"])
        slow = row["test_suffix"] == behaviour.SLOW_RESPONSE
        return PayAnswer({"result": result(_state_code(row)), **payment_fields(row)}, slow=slow)

    # -- inquiryPayment ----------------------------------------------------------------------

    def inquire(self, client: Client, data: dict, *, fail_form: bool = False) -> dict:
        with self.store.tx():
            row = self._find(client, data)
            if row is None:
                if fail_form:
                    return _not_found_fail_form(data)
                raise Refusal("ORDER_NOT_EXIST")
            changes: dict = {"inquiry_count": row["inquiry_count"] + 1}
            if row["status"] == "PROCESSING":
                moved = behaviour.after_inquiry(row["test_suffix"], changes["inquiry_count"])
                if moved is not None:
                    changes.update(self._finalise(moved[0], moved[1]))
            self.store.update("payments", _key(row), changes)
            row = _written(self.store.payment(client.client_id, row["payment_request_id"]))
        status, code = PAYMENT_RESULT.get(row["status"], ("F", row["result_code"]))
        log_event("inquiryPayment", client=client.client_id, paymentRequestId=row["payment_request_id"],
                  status=row["status"], inquiries=row["inquiry_count"])
        return {"result": result("SUCCESS"), "paymentStatus": row["status"],
                "paymentResult": {"resultStatus": status, "resultCode": code}, **payment_fields(row)}

    def _find(self, client: Client, data: dict) -> dict | None:
        if data.get("paymentRequestId") is not None:
            return self.store.payment(client.client_id, req_id(data, "paymentRequestId"))
        if data.get("paymentId") is not None:
            return self.store.payment_by_id(client.client_id, req_id(data, "paymentId"))
        raise illegal("paymentRequestId or paymentId is required")

    def _finalise(self, status: str, code: str) -> dict:
        now = now_ms()
        changes = {"status": status, "result_code": code, "final_ms": now,
                   "final_seq": self.store.next_value("final_seq")}
        if status == "SUCCESS":
            changes["payment_time_ms"] = now
        return changes

    # -- cancelPayment -----------------------------------------------------------------------

    def cancel(self, client: Client, data: dict, *, late_success: bool = False) -> dict:
        with self.store.tx():
            row = self._find(client, data)
            if row is None:
                if data.get("paymentRequestId") is None:
                    raise Refusal("ORDER_NOT_EXIST")
                row = self._close_unseen(client, data["paymentRequestId"])
            elif row["status"] != "CANCELLED":
                row = self._cancel_seen(row, late_success)
        log_event("cancelPayment", client=client.client_id, paymentRequestId=row["payment_request_id"],
                  unseen=bool(row["closed_unseen"]), lateSuccess=bool(row["late_success"]))
        body = {"result": result("SUCCESS"), "paymentRequestId": row["payment_request_id"],
                "cancelTime": timestamp(row["cancelled_ms"])}
        if row["payment_id"]:
            body["paymentId"] = row["payment_id"]
        return body

    def _close_unseen(self, client: Client, prid: str) -> dict:
        now = now_ms()
        self.store.insert("payments", {
            "client_id": client.client_id, "payment_request_id": prid, "status": "CANCELLED",
            "result_code": "ORDER_IS_CLOSED", "created_ms": now, "cancelled_ms": now, "final_ms": now,
            "final_seq": self.store.next_value("final_seq"), "closed_unseen": 1,
        })
        return _written(self.store.payment(client.client_id, prid))

    def _cancel_seen(self, row: dict, late_success: bool) -> dict:
        now = now_ms()
        if now - row["created_ms"] > CANCEL_WINDOW_MS:
            raise Refusal("CANCEL_WINDOW_EXCEED")
        if self.store.refunded_total(row["client_id"], row["payment_id"]) > 0:
            raise Refusal("ORDER_STATUS_INVALID", "The payment has refunds: it can no longer be cancelled")
        changes = {"status": "CANCELLED", "result_code": "ORDER_IS_CLOSED", "cancelled_ms": now,
                   "final_ms": now, "final_seq": self.store.next_value("final_seq")}
        if late_success and row["status"] == "PROCESSING":
            # The wallet's success lands just as the cancel arrives; the cancel still wins.
            changes.update(late_success=1, payment_time_ms=now)
        self.store.update("payments", _key(row), changes)
        return _written(self.store.payment(row["client_id"], row["payment_request_id"]))


def _not_found_fail_form(data: dict) -> dict:
    """'Never received' as some acquirers put it: a successful call about a FAIL payment."""
    echo = {k: data[k] for k in ("paymentRequestId", "paymentId") if isinstance(data.get(k), str)}
    log_event("inquiryPayment", notFound=True, form="paymentResult", **echo)
    return {"result": result("SUCCESS"), **echo, "paymentStatus": "FAIL",
            "paymentResult": result("ORDER_NOT_EXIST")}


def _key(row: dict) -> dict:
    return {"client_id": row["client_id"], "payment_request_id": row["payment_request_id"]}


def _state_code(row: dict) -> str:
    return {"SUCCESS": "SUCCESS", "PROCESSING": "PAYMENT_IN_PROCESS", "CANCELLED": "ORDER_IS_CLOSED"}.get(
        row["status"], row["result_code"])


def _check_expiry(expiry: object) -> None:
    try:
        at = read_time(expiry) if isinstance(expiry, str) else None
    except SignatureError:
        at = None
    if at is None:
        raise illegal("paymentExpiryTime must be an ISO 8601 time with Z or an offset")
    if at.timestamp() * 1000 - now_ms() > MAX_EXPIRY_AHEAD_MS:
        raise illegal("paymentExpiryTime is more than 30 minutes ahead")


def payment_fields(row: dict, *, brief: bool = False) -> dict:
    """The pay response fields the acquirer knows for this payment (all strings)."""
    out: dict = {"paymentRequestId": row["payment_request_id"]}
    if row["payment_id"]:
        out["paymentId"] = row["payment_id"]
    amount = money_api(row["currency"], row["value"])
    if amount:
        out["paymentAmount"] = amount
    if brief or row["status"] != "SUCCESS":
        return out
    out["paymentTime"] = timestamp(row["payment_time_ms"])
    out["paymentMethod"] = {"paymentMethodType": row["payment_method_type"], "paymentToken": row["payment_token"]}
    if row["customer_currency"]:
        out["customerAmount"] = money_api(row["customer_currency"], row["customer_value"])
        out["exchangeRate"] = row["exchange_rate"]
    return out


def _written(row: dict | None) -> dict:
    """A payment row this module has just written or updated (inside its transaction)."""
    if row is None:
        raise LookupError("sandbox store: a payment row written a moment ago is missing")
    return row
