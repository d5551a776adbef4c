"""What the sandbox does with a payment code: test codes (spec §7) and currency settlement.

Test codes are recognised by the last four digits of the decrypted code. Anything not listed
approves. Inquiry counts are persisted on the payment row, so progressions survive restarts.

Settlement rule (deterministic, documented in the README of the sandbox): a code that
sandbox/wallets.py reads as Alipay CN (16-24 digits starting 25-30, not an Alipay+ 19-digit
'28' code) belongs to a wallet that settles in CNY. When the payment currency is not CNY the answer
carries `customerAmount` (CNY, minor units, rounded half up) and `exchangeRate` (a decimal
string: CNY per one unit of the payment currency) from the fixed table below.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .amounts import Amount
from .wallets import wallet_of

DECLINES = {
    "0051": "USER_BALANCE_NOT_ENOUGH",
    "0054": "PAYMENT_CODE_EXPIRED",
    "0059": "RISK_REJECT",
}
SUCCESS_ON_INQUIRY = {"0091": 3}   # PAYMENT_IN_PROCESS, SUCCESS on the 3rd inquiry
FAIL_ON_INQUIRY = {"0092": 2}      # PAYMENT_IN_PROCESS, FAIL on the 2nd inquiry
FAIL_CODE_AFTER_PROCESSING = "USER_BALANCE_NOT_ENOUGH"
PROCESSING_UNTIL_CANCELLED = "0093"
SUCCESS_BUT_SYSTEM_ERROR = "0096"
SLOW_RESPONSE = "0098"

# CNY per one unit of the payment currency (fixed, so receipts are reproducible).
CNY_RATES = {
    "USD": Decimal("7.1000"), "EUR": Decimal("7.8000"), "GBP": Decimal("9.1000"),
    "HKD": Decimal("0.9100"), "SGD": Decimal("5.3000"), "CAD": Decimal("5.2000"),
    "JPY": Decimal("0.0480"), "KRW": Decimal("0.0053"),
}


@dataclass(frozen=True)
class PayOutcome:
    status: str          # SUCCESS | FAIL | PROCESSING
    result_code: str     # the payment's own result code
    pay_result_code: str  # what the pay call answers (0096 answers SYSTEM_ERROR)
    slow: bool = False


def pay_outcome(suffix: str) -> PayOutcome:
    if suffix in DECLINES:
        return PayOutcome("FAIL", DECLINES[suffix], DECLINES[suffix])
    if suffix in SUCCESS_ON_INQUIRY or suffix in FAIL_ON_INQUIRY or suffix == PROCESSING_UNTIL_CANCELLED:
        return PayOutcome("PROCESSING", "PAYMENT_IN_PROCESS", "PAYMENT_IN_PROCESS")
    if suffix == SUCCESS_BUT_SYSTEM_ERROR:
        return PayOutcome("SUCCESS", "SUCCESS", "SYSTEM_ERROR")
    return PayOutcome("SUCCESS", "SUCCESS", "SUCCESS", slow=suffix == SLOW_RESPONSE)


def after_inquiry(suffix: str, inquiry_count: int) -> tuple[str, str] | None:
    """(status, result_code) a PROCESSING payment moves to at this inquiry, or None to stay."""
    if suffix in SUCCESS_ON_INQUIRY and inquiry_count >= SUCCESS_ON_INQUIRY[suffix]:
        return "SUCCESS", "SUCCESS"
    if suffix in FAIL_ON_INQUIRY and inquiry_count >= FAIL_ON_INQUIRY[suffix]:
        return "FAIL", FAIL_CODE_AFTER_PROCESSING
    return None


def is_cny_wallet(code: str) -> bool:
    return wallet_of(code) == "ALIPAY_CN"


def customer_amount(code: str, amount: Amount) -> tuple[Amount, str] | None:
    """(customerAmount, exchangeRate) when the wallet settles in another currency, else None."""
    if amount.currency == "CNY" or not is_cny_wallet(code) or amount.currency not in CNY_RATES:
        return None
    rate = CNY_RATES[amount.currency]
    cny_minor = (amount.major() * rate * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Amount("CNY", int(cny_minor)), f"{rate:.4f}"


def wallet_name(code: str) -> str:
    return wallet_of(code)
