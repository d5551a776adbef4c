"""What a transaction's state means to the people at the counter, and what slip it gets.

One definition for every front end (CLI exit codes, the touchscreen's result screen, the
control API's automatic receipts): approved means captured (states.CAPTURED); declined or
cancelled means the customer was not charged; anything else is not confirmed yet, never shown
as a decline that might be wrong.
"""
from __future__ import annotations

from .records import Transaction
from .states import CAPTURED, TxState

APPROVED, NOT_CHARGED, UNKNOWN = "approved", "declined", "unknown"
NOT_CHARGED_STATES = frozenset({TxState.DECLINED, TxState.CANCELLED})
VOID_REASON = "void"      # Transaction.cancel_reason of a cashier's void (resolution.queue_cancel)


def outcome_kind(tx: Transaction | None) -> str:
    """"approved" (captured), "declined" (not charged) or "unknown" (not final yet, or no tx)."""
    if tx is None:
        return UNKNOWN
    if tx.state in CAPTURED:
        return APPROVED
    if tx.state in NOT_CHARGED_STATES:
        return NOT_CHARGED
    return UNKNOWN


def is_void(tx: Transaction) -> bool:
    return tx.state == TxState.CANCELLED and tx.cancel_reason == VOID_REASON


def receipt_due(tx: Transaction) -> bool:
    """The receipt policy: a customer slip is printed when money moved (a captured sale) or a
    capture was undone (a void slip). A decline, or a sale cancelled because its outcome stayed
    unknown, gets none: nothing was charged and the screen says so."""
    return tx.state in CAPTURED or is_void(tx)
