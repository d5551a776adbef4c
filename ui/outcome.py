"""What a sale's outcome means to a cashier: approved, declined/not charged, or unknown.

Only a transaction in APPROVED (or later refunded) state is ever shown as approved; an error
without a final transaction is "not confirmed", never a decline that might be wrong.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from terminal.money import Money, money_from_api
from terminal.outcome import NOT_CHARGED_STATES as NOT_CHARGED
from terminal.reasons import reason
from terminal.records import Transaction
from terminal.states import CAPTURED

APPROVED_STATES = frozenset(s.value for s in CAPTURED)     # the core's one definition of "captured"
NOT_CHARGED_STATES = frozenset(s.value for s in NOT_CHARGED)


@dataclass(frozen=True)
class Outcome:
    kind: str          # "approved" | "declined" | "unknown"
    headline: str      # msgid
    reason: str        # msgid (English cashier text from terminal.reasons, or the core's message)
    customer_amount: Money | None = None   # what the customer paid in their currency, when given
    rate: str = ""


NOT_SENT_REASONS = {
    "ACQUIRER_UNREACHABLE": "Cannot reach the payment network. Not charged.",
    "SALE_IN_PROGRESS": "The terminal is still resolving an earlier payment: wait a moment, then try again. "
                        "Not charged.",
    "RESULT_UNKNOWN": "Earlier payments are still being resolved: the terminal keeps trying. Not charged.",
}


def not_sent(error: BaseException | None = None) -> Outcome:
    """The journal has no such payment, so nothing left the terminal (it journals before sending)."""
    code = getattr(error, "code", "")
    return Outcome("not_sent", "Not sent", NOT_SENT_REASONS.get(code, "The payment was not sent. Not charged."))


def outcome_of(tx: Transaction | None, error: BaseException | None = None) -> Outcome:
    state = tx.state.value if tx is not None else ""
    if tx is not None and state in APPROVED_STATES:
        customer: Money | None = None
        if tx.customer_amount:
            try:
                customer = money_from_api(json.loads(tx.customer_amount))
            except (ValueError, TypeError):
                customer = None
        return Outcome("approved", "Approved", "", customer, tx.exchange_rate)
    if tx is not None and state == "DECLINED":
        return Outcome("declined", "Declined", reason(tx.result_code or "", tx.result_message or ""))
    if state == "CANCELLED":
        return Outcome("declined", "Not charged", reason("CANCELLED"))
    message = getattr(error, "message", "") if error is not None else ""
    return Outcome("unknown", "Not confirmed",
                   message or "The acquirer has not confirmed this payment yet. Do not hand over goods: "
                              "the terminal keeps checking; see History.")
