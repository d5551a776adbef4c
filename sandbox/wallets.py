"""Which wallet a payment code belongs to, by its published number ranges, and its masked form.

The sandbox's own reading of the ranges (it shares no code with the terminal's recogniser);
it decides the settlement currency (Alipay CN settles in CNY) and the `paymentMethodType`
shown in the admin views. Only lengths and leading digits are used, as wallets publish them.
"""
from __future__ import annotations

RANGES = (
    # (wallet, lengths, first two digits)
    ("WECHATPAY", {18}, range(10, 16)),
    ("UNIONPAY", {19}, range(62, 63)),
    ("ALIPAY_PLUS", {19}, range(28, 29)),
    ("ALIPAY_CN", set(range(16, 25)), range(25, 31)),
    ("ALIPAY_HK", {17, 18, 19}, range(100)),
)


def wallet_of(code: str) -> str:
    """The wallet name for a digit string, or "UNKNOWN"."""
    if not (code.isascii() and code.isdigit()) or len(code) < 2:
        return "UNKNOWN"
    head = int(code[:2])
    for wallet, lengths, heads in RANGES:
        if len(code) in lengths and head in heads:
            return wallet
    return "UNKNOWN"


def mask(code: str) -> str:
    """First six and last two characters kept, the rest starred; short strings fully starred."""
    hidden = len(code) - 8
    return "*" * len(code) if hidden <= 0 else f"{code[:6]}{'*' * hidden}{code[-2:]}"
