"""Masking of scanned strings for logs and screens: a raw payment code must never be shown."""
from __future__ import annotations


def mask(code: str) -> str:
    """First 6 + stars + last 2 characters; short strings are fully starred.

    >>> mask("281012345678901234")
    '281012**********34'
    """
    if len(code) <= 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 8) + code[-2:]
