"""Sample wallet codes for the demo and the sandbox's test-code table (acquirer-api.md §7).

The sandbox acquirer decides by the last four digits; the prefix and length make each a
well-formed code of the wallet named. Like a wallet app, every call gives a fresh code (the
middle digits are new), because the terminal refuses a code it has just been paid with.
These are test data, never real credentials.
"""
from __future__ import annotations

import secrets

DEMO_CODES: list[tuple[str, str, str]] = [
    # (label, code pattern: first 6 and last 4 digits matter, expected outcome)
    ("Approve", "281012345678900000", "APPROVED"),
    ("WeChat Pay approve", "134567890123450000", "APPROVED"),
    ("Alipay+ approve", "2812345678901230000", "APPROVED"),
    ("Insufficient balance", "281012345678900051", "DECLINED"),
    ("Code expired", "281012345678900054", "DECLINED"),
    ("Risk reject", "281012345678900059", "DECLINED"),
    ("Unknown, then approved", "281012345678900091", "APPROVED"),
    ("Unknown, then failed", "281012345678900092", "DECLINED"),
    ("Stays processing (cancelled)", "281012345678900093", "CANCELLED"),
    ("System error, actually paid", "281012345678900096", "APPROVED"),
    ("Slow answer, actually paid", "281012345678900098", "APPROVED"),
]


def fresh(pattern: str) -> str:
    """A new code like `pattern`: same length, first 6 and last 4 digits, new digits between."""
    middle = len(pattern) - 10
    return pattern[:6] + "".join(secrets.choice("0123456789") for _ in range(middle)) + pattern[-4:]


def code_for(suffix: str, prefix: str = "281012") -> str:
    """A fresh 18-digit Alipay CN code ending in `suffix` (the sandbox's test-code convention);
    its masked form is always `281012**********` + the last two digits."""
    return fresh(prefix + "0" * (18 - len(prefix) - len(suffix)) + suffix)
