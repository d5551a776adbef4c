"""One INFO line per money operation (sale, void, refund, batch close, recovery), for the
technician reading `journalctl -u pos-terminal` or the support bundle.

The service once logged almost nothing: a verbose sale wrote 0 lines. Each operation is now one
JSON object on the "terminal.operations" logger, which logs at INFO whatever -v says (logs.py
sends it to journald when systemd runs us, JOURNAL_STREAM set, and always to the file log).
Only what the journal already keeps in the open goes in: ids, states, amounts, the masked code
and its fingerprint. Never the raw code (the handlers' digit-run mask is the last line of
defence, not the first).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .logs import OPERATIONS

if TYPE_CHECKING:
    from .records import Refund, Transaction

log = logging.getLogger(OPERATIONS)


def tx_fields(tx: Transaction | Refund) -> dict[str, Any]:
    """The loggable part of a Transaction (or Refund): never a raw code, which it does not hold."""
    out: dict[str, Any] = {}
    is_refund = hasattr(tx, "refund_request_id")
    for attr, key in (("id", "refundId" if is_refund else "txId"), ("refund_id", "acquirerRefundId"),
                      ("payment_request_id", "paymentRequestId"), ("payment_id", "paymentId"),
                      ("masked_code", "maskedCode"), ("fingerprint", "fingerprint"), ("result_code", "resultCode"),
                      ("wallet", "wallet"), ("tx_id", "txId")):
        value = getattr(tx, attr, None)
        if value and key not in out:
            out[key] = value
    state = getattr(tx, "state", None)
    if state is not None:
        out["state"] = getattr(state, "value", str(state))
    for attr in ("amount", "total"):
        money = getattr(tx, attr, None)
        if money is not None and hasattr(money, "to_api"):
            out["amount"] = money.to_api()
            break
    return out


def operation(op: str, result: Any = None, *, error: Exception | None = None, **detail: Any) -> None:
    """Log one finished operation: `result` a Transaction, Refund or report; `error` if it failed."""
    fields: dict[str, Any] = {"op": op}
    if result is not None:
        fields.update(tx_fields(result))
    if error is not None:
        fields["outcome"] = "error"
        fields["error"] = getattr(error, "code", type(error).__name__)
        fields["reason"] = getattr(error, "message", str(error))
    else:
        fields.setdefault("outcome", fields.get("state", "done"))
    fields.update({k: v for k, v in detail.items() if v is not None})
    (log.warning if error is not None else log.info)(op, extra=fields)
