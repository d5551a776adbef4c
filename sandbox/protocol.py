"""Shared vocabulary of the acquirer contract: result objects, refusals, field validation."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Literal, overload

from .amounts import Amount, amount_from_api
from .signatures import time_text

MESSAGES = {
    "SUCCESS": "Success",
    "PAYMENT_IN_PROCESS": "The payment is being processed",
    "SYSTEM_ERROR": "System error, result unknown: inquire",
    "USER_BALANCE_NOT_ENOUGH": "The customer's balance is not enough",
    "PAYMENT_CODE_EXPIRED": "The payment code has expired: ask the customer to refresh it",
    "RISK_REJECT": "Rejected by risk control",
    "INVALID_PAYMENT_CODE": "The payment code is not valid",
    "ORDER_IS_CLOSED": "The order is closed (cancelled)",
    "ORDER_NOT_EXIST": "The order does not exist",
    "ORDER_STATUS_INVALID": "The order's status does not allow this operation",
    "REPEAT_REQ_INCONSISTENT": "The same request id was used with a different request",
    "CANCEL_WINDOW_EXCEED": "The cancel window has closed: refund instead",
    "REFUND_AMOUNT_EXCEED": "The refunds would exceed the captured amount",
    "REFUND_WINDOW_EXCEED": "The refund window has closed",
    "INVALID_SIGNATURE": "The request signature does not verify",
    "INVALID_REQUEST_TIME": "Request-Time is missing or more than 300 s from the acquirer's clock",
    "KEY_NOT_FOUND": "No usable key for this client and keyVersion",
    "ACCESS_DENIED": "Unknown client or not allowed",
    "PARAM_ILLEGAL": "Illegal parameters",
    "ACTIVATION_CODE_INVALID": "The activation code is unknown or already used",
    "CURRENCY_NOT_SUPPORT": "The currency is not supported",
}
STATUS_OF = {
    "SUCCESS": "S", "PAYMENT_IN_PROCESS": "U", "SYSTEM_ERROR": "U", "USER_PAYING": "U",
    "UNKNOWN_EXCEPTION": "U", "REQUEST_TRAFFIC_EXCEED": "U",
}
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def timestamp(ms: int) -> str:
    return time_text(datetime.fromtimestamp(ms / 1000, tz=UTC))


def result(code: str, message: str | None = None) -> dict:
    return {"resultStatus": STATUS_OF.get(code, "F"), "resultCode": code,
            "resultMessage": message or MESSAGES.get(code, code)}


class Refusal(Exception):
    """A business or protocol refusal answered as HTTP 200 with `result` (F unless U-coded)."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message or MESSAGES.get(code, code)


def illegal(message: str) -> Refusal:
    return Refusal("PARAM_ILLEGAL", f"Illegal parameters: {message}")


def req_id(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not _ID.match(value):
        raise illegal(f"{name} must be a string of 1 to 64 printable characters")
    return value


@overload
def req_str(data: dict, name: str, *, optional: Literal[False] = False) -> str: ...
@overload
def req_str(data: dict, name: str, *, optional: bool) -> str | None: ...
def req_str(data: dict, name: str, *, optional: bool = False) -> str | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise illegal(f"{name} must be a non-empty string")
    return value


@overload
def req_obj(data: dict, name: str, *, optional: Literal[False] = False) -> dict: ...
@overload
def req_obj(data: dict, name: str, *, optional: bool) -> dict | None: ...
def req_obj(data: dict, name: str, *, optional: bool = False) -> dict | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise illegal(f"{name} must be an object")
    return value


def req_money(data: dict, name: str) -> Amount:
    try:
        money = amount_from_api(data.get(name))
    except ValueError as exc:
        raise illegal(f"{name}: {exc}") from None
    if money.minor <= 0:
        raise illegal(f"{name}.value must be more than zero")
    return money


def only_strings(value: object, where: str = "body") -> None:
    """Every scalar in the contract is a string; numbers, booleans and nulls are refused."""
    if isinstance(value, dict):
        for key, item in value.items():
            only_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            only_strings(item, f"{where}[{i}]")
    elif not isinstance(value, str):
        raise illegal(f"{where} must be a string (every scalar value is a string)")


def money_api(currency: str | None, value: int | None) -> dict | None:
    if currency is None or value is None:
        return None
    return Amount(currency, int(value)).to_api()
