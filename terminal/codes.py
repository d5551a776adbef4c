"""Wallet payment codes shown by customers (user-presented mode).

A `PaymentCode` is a bearer credential: it keeps the digits in a private slot, shows only its
masked form in repr/str, and is read exactly once, by the tokeniser, through `reveal()`.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import re
import unicodedata
from typing import NoReturn

from drivers.masking import mask

from .errors import InputError

MIN_DIGITS, MAX_DIGITS = 16, 24
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")  # AIM symbology identifier, e.g. "]Q1"
_EMV_CPM_PREFIX = "hQVDUFYw"  # base64 of 0x85 0x05 "CPV01": EMVCo consumer-presented QR
_EMV_MPM_PREFIX = "000201"  # EMVCo merchant-presented QR: payload format indicator "01"


class Wallet(str, enum.Enum):
    ALIPAY_CN = "ALIPAY_CN"
    ALIPAY_HK = "ALIPAY_HK"
    ALIPAY_PLUS = "ALIPAY_PLUS"
    WECHAT_PAY = "WECHATPAY"
    UNIONPAY = "UNIONPAY"


# What the cashier sees for each refusal; `reason` codes are stable for scripts (scan-test).
_REFUSALS = {
    "EMPTY": "nothing was scanned: scan the customer's payment code again",
    "EMV_CPM": "this is an EMVCo card-scheme QR (consumer-presented): this terminal takes "
    "Alipay, Alipay+ and WeChat Pay codes; ask the customer to open their wallet's payment code",
    "EMV_MPM": "this is a merchant-presented QR (a shop's code to be scanned by a phone), not a "
    "customer's payment code: ask the customer to open the 'Pay' code in their wallet",
    "NOT_A_PAYMENT_CODE": "not a payment code: ask the customer to open the payment code "
    "(barcode/QR under 'Pay') in Alipay or WeChat Pay",
    "PRODUCT_BARCODE": "this is a product barcode (EAN/UPC), not a payment code: scan the "
    "customer's payment code (barcode/QR under 'Pay' in their wallet)",
    "UNKNOWN_WALLET": "the digits do not match any supported wallet's payment code: ask the "
    "customer to refresh the payment code and scan again",
    "ALREADY_USED": "this payment code was just used for another payment on this terminal: ask the "
    "customer to refresh the payment code and scan again",
}


class PaymentCodeError(InputError):
    code = "BAD_PAYMENT_CODE"

    def __init__(self, reason: str):
        super().__init__(_REFUSALS[reason], code="BAD_PAYMENT_CODE")
        self.reason = reason


def normalise(raw: str) -> str:
    """What a scanner delivers, cleaned: suffixes, whitespace, control chars, AIM prefix."""
    text = unicodedata.normalize("NFKC", raw or "")  # full-width digits from some IMEs
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    text = _AIM_PREFIX.sub("", text, count=1)
    return text.replace(" ", "").replace("-", "") if _looks_spaced_digits(text) else text


def _looks_spaced_digits(text: str) -> bool:
    return bool(text) and all(ch.isdigit() or ch in " -" for ch in text)


def is_product_barcode(text: str) -> bool:
    """EAN-8, UPC-A, EAN-13 or ITF-14 (GS1) with a valid check digit: a product, scanned by
    mistake at the checkout. Payment codes are 16-24 digits, so the two never overlap."""
    if not (text.isascii() and text.isdigit()) or len(text) not in (8, 12, 13, 14):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(text)))
    return total % 10 == 0


def recognise(digits: str) -> Wallet:
    """Wallet by the published code ranges. Overlaps are pre-checks; the acquirer routes."""
    n, p2 = len(digits), int(digits[:2])
    if n == 18 and 10 <= p2 <= 15:
        return Wallet.WECHAT_PAY
    if n == 19 and p2 == 62:
        return Wallet.UNIONPAY
    if n == 19 and p2 == 28:
        return Wallet.ALIPAY_PLUS
    if 16 <= n <= 24 and 25 <= p2 <= 30:
        return Wallet.ALIPAY_CN
    if 17 <= n <= 19:
        return Wallet.ALIPAY_HK
    raise PaymentCodeError("UNKNOWN_WALLET")


# `mask` (first 6 and last 2 characters, acquirer-api.md §3) is drivers/masking.py's: one rule
# for the whole program, kept below terminal/ because the drivers mask scans too.


class PaymentCode:
    """A recognised wallet code. The digits never appear in repr, str, logs or pickles."""

    __slots__ = ("_digits", "length", "masked", "wallet")

    def __init__(self, digits: str, wallet: Wallet):
        self._digits: str | None = digits
        self.wallet = wallet
        self.masked = mask(digits)
        self.length = len(digits)

    def reveal(self) -> str:
        """The raw digits, for the tokeniser only."""
        if self._digits is None:
            raise RuntimeError("payment code already dropped")
        return self._digits

    def fingerprint(self, key: bytes) -> str:
        """Keyed fingerprint (HMAC-SHA256, device key) to spot the same code scanned twice."""
        return hmac.new(key, self.reveal().encode(), hashlib.sha256).hexdigest()

    @property
    def test_suffix(self) -> str:
        """The last four digits (the sandbox's test-code convention); safe to show: masked shows 2."""
        return self.reveal()[-4:]

    def drop(self) -> None:
        """Forget the digits once the request is built (Python strings cannot be wiped)."""
        self._digits = None

    def __repr__(self) -> str:
        return f"PaymentCode({self.wallet.value}, {self.masked})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PaymentCode is a credential and cannot be pickled")


_DIGIT_SEPARATORS = re.compile(r"(?<=[0-9])[ \t\-._/]+(?=[0-9])")
_DIGIT_RUN = re.compile(r"[0-9]+")


def looks_like_payment_code(text: str) -> bool:
    """True when `text` holds a digit run (spaces, dashes, dots allowed between digits, any
    digit width) that this terminal would take as a wallet payment code. Used to refuse such a
    text where a code has no business (an order reference), so it is never stored."""
    flat = _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    for run in _DIGIT_RUN.findall(flat):
        if MIN_DIGITS <= len(run) <= MAX_DIGITS:
            try:
                recognise(run)
                return True
            except PaymentCodeError:
                continue
    return False


def check_reference(reference: str) -> str:
    """An ECR/merchant order reference, refused when it looks like a payment code (a code typed
    or scanned into the wrong field would otherwise reach the journal in clear)."""
    if looks_like_payment_code(reference):
        raise InputError("the reference looks like a customer's payment code, which must never be stored: "
                         "use the order number (a payment code of 16-24 digits is not a reference)",
                         code="BAD_REFERENCE")
    return reference


def parse_payment_code(raw: str) -> PaymentCode:
    """Normalise a scan and recognise it, or raise PaymentCodeError saying why not."""
    text = normalise(raw)
    if not text:
        raise PaymentCodeError("EMPTY")
    if text.startswith(_EMV_CPM_PREFIX):
        raise PaymentCodeError("EMV_CPM")
    if text.startswith(_EMV_MPM_PREFIX):  # no wallet code starts with 00
        raise PaymentCodeError("EMV_MPM")
    if not (text.isascii() and text.isdigit()) or not MIN_DIGITS <= len(text) <= MAX_DIGITS:
        raise PaymentCodeError("PRODUCT_BARCODE" if is_product_barcode(text) else "NOT_A_PAYMENT_CODE")
    return PaymentCode(text, recognise(text))
