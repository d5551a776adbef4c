"""refund and inquiryRefund: partial and multiple refunds up to the captured amount.

A refund row is keyed by (clientId, refundRequestId). Business refusals that concern an
existing payment (amount or window exceeded, payment not refundable) are stored as FAIL,
so a retry with the same refundRequestId gets the same answer and inquiryRefund says FAIL.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .auth import Client
from .logs import log_event
from .protocol import DAY_MS, Refusal, illegal, money_api, now_ms, req_id, req_money, req_str, result, timestamp
from .service import Answer
from .store import Store

if TYPE_CHECKING:
    from .context import SandboxContext

REFUND_WINDOW_MS = 365 * DAY_MS


class Refunds:
    def __init__(self, *, store: Store):
        self.store = store

    def refund(self, client: Client, data: dict) -> dict:
        rrid = req_id(data, "refundRequestId")
        payment_id = req_id(data, "paymentId")
        amount = req_money(data, "refundAmount")
        reason = req_str(data, "refundReason", optional=True)
        with self.store.tx():
            row = self.store.refund(client.client_id, rrid)
            if row is not None:
                if (row["payment_id"], row["currency"], row["value"]) != (payment_id, amount.currency, amount.minor):
                    raise Refusal("REPEAT_REQ_INCONSISTENT")
                return refund_answer(row)
            payment = self.store.payment_by_id(client.client_id, payment_id)
            if payment is None:
                raise Refusal("ORDER_NOT_EXIST")
            if amount.currency != payment["currency"]:
                raise illegal("refundAmount.currency must be the payment's currency")
            code = self._refusal(client, payment, amount.minor)
            now = now_ms()
            row = {
                "client_id": client.client_id, "refund_request_id": rrid, "payment_id": payment_id,
                "payment_request_id": payment["payment_request_id"], "currency": amount.currency,
                "value": amount.minor, "reason": reason, "status": "FAIL" if code else "SUCCESS",
                "result_code": code or "SUCCESS", "created_ms": now, "final_ms": now,
                "final_seq": self.store.next_value("final_seq"),
            }
            if not code:
                row["refund_id"] = f"SBXREF{self.store.next_value('refund_id'):010d}"
            self.store.insert("refunds", row)
            row = self.store.the_one("SELECT * FROM refunds WHERE client_id = ? AND refund_request_id = ?",
                                     client.client_id, rrid)
        log_event("refund", client=client.client_id, refundRequestId=rrid, paymentId=payment_id,
                  amount=str(amount), status=row["status"], code=row["result_code"])
        return refund_answer(row)

    def _refusal(self, client: Client, payment: dict, minor: int) -> str | None:
        if payment["status"] != "SUCCESS":
            return "ORDER_STATUS_INVALID"
        if now_ms() - payment["payment_time_ms"] > REFUND_WINDOW_MS:
            return "REFUND_WINDOW_EXCEED"
        if self.store.refunded_total(client.client_id, payment["payment_id"]) + minor > payment["value"]:
            return "REFUND_AMOUNT_EXCEED"
        return None

    def inquire(self, client: Client, data: dict) -> dict:
        rrid = req_id(data, "refundRequestId")
        row = self.store.refund(client.client_id, rrid)
        if row is None:
            raise Refusal("ORDER_NOT_EXIST", "The refund does not exist")
        body = refund_answer(row)
        body["refundStatus"] = row["status"]
        body["refundResult"] = {"resultStatus": "S" if row["status"] == "SUCCESS" else "F",
                                "resultCode": row["result_code"]}
        body["result"] = result("SUCCESS")
        return body


def refund_answer(row: dict) -> dict:
    body = {"result": result(row["result_code"]), "refundRequestId": row["refund_request_id"],
            "paymentId": row["payment_id"], "refundAmount": money_api(row["currency"], row["value"])}
    if row["refund_id"]:
        body["refundId"] = row["refund_id"]
        body["refundTime"] = timestamp(row["final_ms"])
    return body


def install(ctx: SandboxContext) -> None:
    refunds = Refunds(store=ctx.store)
    ctx.acquirer.add_route("refund", lambda c, d, p: Answer(refunds.refund(c, d)))
    ctx.acquirer.add_route("inquiryRefund", lambda c, d, p: Answer(refunds.inquire(c, d)))
