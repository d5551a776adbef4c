"""Admin views of the acquirer's records (what the crash matrix compares the journal with)."""
from __future__ import annotations

from .protocol import money_api, timestamp
from .store import Store


def _ts(ms: int | None) -> str | None:
    return timestamp(ms) if ms is not None else None


def payment_view(store: Store, row: dict) -> dict:
    refunded = store.refunded_total(row["client_id"], row["payment_id"]) if row["payment_id"] else 0
    return {
        "clientId": row["client_id"],
        "paymentRequestId": row["payment_request_id"],
        "paymentId": row["payment_id"],
        "status": row["status"],
        "resultCode": row["result_code"],
        "payResultCode": row["pay_result_code"],
        "paymentAmount": money_api(row["currency"], row["value"]),
        "referenceOrderId": row["order_ref"],
        "codeMasked": row["code_masked"],
        "paymentMethodType": row["payment_method_type"],
        "paymentToken": row["payment_token"],
        "customerAmount": money_api(row["customer_currency"], row["customer_value"]),
        "exchangeRate": row["exchange_rate"],
        "createdAt": _ts(row["created_ms"]),
        "paymentTime": _ts(row["payment_time_ms"]),
        "finalAt": _ts(row["final_ms"]),
        "cancelledAt": _ts(row["cancelled_ms"]),
        "inquiryCount": row["inquiry_count"],
        "closedUnseen": bool(row["closed_unseen"]),
        "lateSuccess": bool(row["late_success"]),
        "refundedAmount": money_api(row["currency"], refunded) if row["currency"] else None,
    }


def refund_view(row: dict) -> dict:
    return {
        "clientId": row["client_id"],
        "refundRequestId": row["refund_request_id"],
        "refundId": row["refund_id"],
        "paymentId": row["payment_id"],
        "paymentRequestId": row["payment_request_id"],
        "refundAmount": money_api(row["currency"], row["value"]),
        "refundReason": row["reason"],
        "status": row["status"],
        "resultCode": row["result_code"],
        "createdAt": _ts(row["created_ms"]),
        "finalAt": _ts(row["final_ms"]),
    }
