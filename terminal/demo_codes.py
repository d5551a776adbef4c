"""Sample wallet codes for the demo and the sandbox's test-code table (acquirer-api.md §7).

The sandbox acquirer decides by the last four digits; the prefixes make each a well-formed
code of the wallet named. These are test data, never real credentials.
"""
from __future__ import annotations

DEMO_CODES: list[tuple[str, str, str]] = [
    # (label, code, expected outcome)
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


def code_for(suffix: str, prefix: str = "28101234567890") -> str:
    """An 18-digit Alipay CN code ending in `suffix` (the sandbox's test-code convention)."""
    return prefix + suffix
