"""Result codes as words a cashier can act on (acquirer-api.md §5)."""
from __future__ import annotations

# Codes that mean the terminal itself is misconfigured: decline AND raise a fault.
FAULT_CODES = frozenset({"INVALID_SIGNATURE", "INVALID_REQUEST_TIME", "KEY_NOT_FOUND", "ACCESS_DENIED", "PARAM_ILLEGAL"})
UNKNOWN_CODES = frozenset({"PAYMENT_IN_PROCESS", "USER_PAYING", "SYSTEM_ERROR", "UNKNOWN_EXCEPTION", "REQUEST_TRAFFIC_EXCEED"})
# The acquirer never saw the pay: not a decline. The id must be closed by a cancel first.
NOT_RECEIVED = "ORDER_NOT_EXIST"  # same value as acquirer.NOT_RECEIVED (reasons imports nothing)


def is_business_decline(status: str, code: str) -> bool:
    """A positive, final refusal of the payment itself (balance, risk, expired code...).

    Only this ends a payment DECLINED from an inquiry. "Never received", an error, a protocol
    fault or a missing reason are not declines: the payment stays unknown, and the inquiry
    window then the cancel settle it (a cancel closes the id, so a late pay charges nothing).
    """
    return (status == "F" and bool(code) and code != NOT_RECEIVED and code != "SUCCESS"
            and code not in FAULT_CODES and code not in UNKNOWN_CODES)

_REASONS = {
    "SUCCESS": "Approved",
    "USER_BALANCE_NOT_ENOUGH": "Declined: insufficient balance. Ask for another payment method.",
    "RISK_REJECT": "Declined by the wallet's risk control. Ask for another payment method.",
    "USER_NOT_EXIST": "Declined: the wallet account was not found. Ask the customer to check their app.",
    "PAYMENT_CODE_EXPIRED": "Declined: the payment code expired. Ask the customer to refresh the code and scan again.",
    "INVALID_PAYMENT_CODE": "Declined: invalid payment code. Ask the customer to refresh the code and scan again.",
    "CURRENCY_NOT_SUPPORT": "Declined: the wallet does not accept this currency.",
    "ORDER_IS_CLOSED": "Declined: this payment was already closed. Start a new sale.",
    "REPEAT_REQ_INCONSISTENT": "Declined: duplicate request. Start a new sale.",
    "INVALID_SIGNATURE": "Terminal fault: the acquirer rejected the signature. Call a technician (keys).",
    "INVALID_REQUEST_TIME": "Terminal fault: the device clock is wrong. Call a technician (clock).",
    "KEY_NOT_FOUND": "Terminal fault: the acquirer does not know this terminal's key. Call a technician.",
    "ACCESS_DENIED": "Terminal fault: access denied by the acquirer. Call a technician.",
    "PARAM_ILLEGAL": "Terminal fault: the acquirer refused the request format. Call a technician.",
    "CANCEL_WINDOW_EXCEED": "The void window has passed: refund the payment instead.",
    "REFUND_AMOUNT_EXCEED": "Refund refused: more than what is left to refund.",
    "REFUND_WINDOW_EXCEED": "Refund refused: the payment is too old to refund.",
    "CANCELLED": "Not charged: the payment was cancelled.",
    "ORDER_NOT_EXIST": "Not charged: the acquirer never received the payment.",
}


def reason(code: str, fallback: str = "") -> str:
    if code in _REASONS:
        return _REASONS[code]
    if code.startswith(("TRANSPORT_", "RESPONSE_")):
        return "No clear answer from the acquirer: checking the payment's status."
    return fallback or f"Declined ({code})."
