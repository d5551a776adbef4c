"""A repeated idempotencyKey must be the same request (issue #12 item 4).

Once the same key with the same amount but another `reference` returned the other order's
APPROVED sale: the register would have marked a second order paid. Every field of the sale
request is compared; the first that differs is named in the 409.
"""
from __future__ import annotations

from ..checkout import PendingSale
from ..money import Money
from ..records import Transaction


def differing_field(found: PendingSale | Transaction, amount: Money, tip: Money | None, reference: str) -> str | None:
    """The request field (as the API names it) in which a new request differs from the sale
    `found` under the same key; None when it is the same request."""
    if isinstance(found, PendingSale):
        currency, base, tip_minor, ref = found.amount.currency, found.amount.minor, \
            found.tip.minor if found.tip else 0, found.reference
    else:
        currency, base, tip_minor, ref = found.currency, found.amount_minor - found.tip_minor, found.tip_minor, \
            found.reference
    if amount.currency != currency:
        return "amount.currency"
    if amount.minor != base:
        return "amount.value"
    if (tip.minor if tip else 0) != tip_minor:
        return "tip"
    if reference != ref:
        return "reference"
    return None
