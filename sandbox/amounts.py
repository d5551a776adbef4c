"""Amounts as the acquirer contract writes them: {"currency": "USD", "value": "1250"}.

The sandbox's own small model (it shares no code with the terminal): an ISO 4217 code and an
integer count of minor units. The value travels as a string of digits, never a float.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ISO 4217 minor-unit exponents of the currencies the sandbox settles.
EXPONENT = {"CAD": 2, "CNY": 2, "EUR": 2, "GBP": 2, "HKD": 2, "JPY": 0, "KRW": 0, "SGD": 2, "USD": 2}
LARGEST = 10**12


@dataclass(frozen=True)
class Amount:
    currency: str
    minor: int

    def __post_init__(self) -> None:
        if self.currency not in EXPONENT:
            raise ValueError(f"currency {self.currency!r} is not one the sandbox knows "
                             f"({', '.join(sorted(EXPONENT))})")
        if type(self.minor) is not int:
            raise ValueError("an amount is a whole number of minor units")

    def major(self) -> Decimal:
        """The amount in major units (12.50 for 1250 USD cents), exact."""
        return Decimal(self.minor) / (10 ** EXPONENT[self.currency])

    def to_api(self) -> dict[str, str]:
        return {"currency": self.currency, "value": str(self.minor)}

    def __str__(self) -> str:
        places = EXPONENT[self.currency]
        return f"{self.major():.{places}f} {self.currency}"


def amount_from_api(obj: object) -> Amount:
    """Strict: exactly currency and value, both strings, value all ASCII digits."""
    if not isinstance(obj, dict) or sorted(obj) != ["currency", "value"]:
        raise ValueError("an amount is an object with exactly currency and value")
    currency, value = obj["currency"], obj["value"]
    if not isinstance(currency, str) or not isinstance(value, str):
        raise ValueError("currency and value are strings")  # noqa: TRY004 - callers refuse ValueError as PARAM_ILLEGAL
    if not (value.isascii() and value.isdigit()) or len(value) > 13 or int(value) > LARGEST:
        raise ValueError("value is minor units written as digits (at most 10^12)")
    return Amount(currency, int(value))
