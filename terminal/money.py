"""Money as integer minor units plus an ISO 4217 currency. No float, ever.

Amounts are parsed strictly at the edge ("12.50") and formatted for display as Babel (CLDR) writes them (locale_formats.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import InputError

# Minor-unit exponents of the currencies the terminal may be configured for (ISO 4217).
MINOR_UNITS = {"USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "CNY": 2, "SGD": 2, "JPY": 0, "KRW": 0}

_DIGITS = re.compile(r"[0-9]+")
_MAX_MINOR = 10**12  # far above any till; guards int parsing of absurd input


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InputError(
            f"unsupported currency {currency!r}: use one of {', '.join(sorted(MINOR_UNITS))}",
            code="BAD_CURRENCY",
        ) from None


@dataclass(frozen=True, order=True)
class Money:
    currency: str
    minor: int

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")
        minor_units(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor - other.minor)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def to_api(self) -> dict[str, str]:
        """The acquirer contract's amount object: minor units as a decimal string."""
        return {"currency": self.currency, "value": str(self.minor)}

    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_units(self.currency))

    def plain(self) -> str:
        """'12.50' style text, locale-independent (logs, JSON for people)."""
        digits = minor_units(self.currency)
        return f"{self.decimal():.{digits}f}"

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


def parse_amount(text: str, currency: str) -> Money:
    """Parse a typed amount strictly. Refuses anything a cashier could mistype.

    Accepted: digits with an optional '.' and at most the currency's minor digits.
    Refused (with the reason): empty, signs, exponents, commas, too many decimals, zero.
    What a sale may be (enabled currencies, the maximum) is sale_rules.SaleRules' business.
    """
    digits = minor_units(currency)
    raw = (text or "").strip()
    if not raw:
        raise InputError("amount is empty: type an amount such as 12.50", code="BAD_AMOUNT")
    if raw.startswith(("-", "+")):
        raise InputError(f"amount {raw!r} has a sign: type a positive amount such as 12.50", code="BAD_AMOUNT")
    if "," in raw:
        raise InputError(f"amount {raw!r} uses a comma: use '.' as the decimal point (12.50)", code="BAD_AMOUNT")
    whole, dot, frac = raw.partition(".")
    if not _DIGITS.fullmatch(whole or "0") or (dot and not _DIGITS.fullmatch(frac)):
        raise InputError(f"amount {raw!r} is not a plain decimal number: type digits such as 12.50", code="BAD_AMOUNT")
    if len(frac) > digits:
        raise InputError(
            f"amount {raw!r} has more than {digits} decimal places for {currency}", code="BAD_AMOUNT"
        )
    if len(whole) > 12:
        raise InputError(f"amount {raw!r} is too large", code="BAD_AMOUNT")
    minor = int(whole or "0") * 10**digits + int((frac or "0").ljust(digits, "0") or "0")
    if minor <= 0:
        raise InputError("amount must be more than zero", code="BAD_AMOUNT")
    return Money(currency, minor)


def money_from_api(obj: object) -> Money:
    """Parse the contract's {"currency", "value"} object strictly (value: minor units string)."""
    if not isinstance(obj, dict) or set(obj) - {"currency", "value"} or not {"currency", "value"} <= set(obj):
        raise ValueError("amount must be an object with exactly 'currency' and 'value'")
    currency, value = obj["currency"], obj["value"]
    if not isinstance(currency, str) or not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise ValueError("amount.value must be a string of digits (minor units), currency a string")
    if len(value) > 13 or int(value) > _MAX_MINOR:
        raise ValueError("amount.value is too large")
    try:
        return Money(currency, int(value))
    except InputError as exc:
        raise ValueError(exc.message) from None


def format_money(money: Money, locale: str = "en_US") -> str:
    """Locale display as Babel writes it ('$12.50', '12,50 $', 'US$12.50'), from the terminal's
    table of its locales (locale_formats.py: Babel's locale data is not loaded to show a till)."""
    from .locale_formats import format_currency

    return format_currency(money.decimal(), money.currency, locale)
