"""Open payments and the outcomes a cashier has not yet seen.

A sale that ends "Not confirmed" stays open while the terminal keeps resolving it (inquiry, then
cancel). When it ends, whoever stands at the till must learn how: approved (hand over the goods,
offer a receipt) or not charged. That must survive a restart: a sale can end while the app is
closing, or during the recovery at the next start, with nobody looking.

So "seen" is journalled, like everything else: an outcome counts as seen when the checkout
delivered the sale's RESULT with a final state, or when the cashier dismissed its notice (an
``outcome_seen`` note). Any checkout sale that is final now and was never seen is a notice to
show. Only the RECENT_SALES newest transactions are looked at: a payment that ended unseen 50
sales ago is in History, not in a notice.
"""
from __future__ import annotations

from .journal import Journal
from .records import REFUND_PENDING, Transaction
from .states import FINAL

RECENT_SALES = 50
SEEN_NOTE = "outcome_seen"
_FINAL_VALUES = frozenset(s.value for s in FINAL)


class OutcomeNotices:
    def __init__(self, *, journal: Journal):
        self._journal = journal

    def open_payments(self) -> list[Transaction]:
        """Every payment whose outcome is not final yet, oldest first."""
        return self._journal.pending()

    def unseen(self) -> list[Transaction]:
        """Checkout sales that ended (final) without the cashier having seen how, oldest first."""
        recent = [tx for tx in self._journal.transactions(limit=RECENT_SALES) if tx.state in FINAL]
        if not recent:
            return []
        checkout_sales, seen = set(), set()
        for ev in self._journal.events_for([tx.id for tx in recent], ("checkout", SEEN_NOTE)):
            detail = ev["detail"]
            if ev["kind"] == SEEN_NOTE:
                seen.add(ev["txId"])
            elif detail.get("state") == "PROCESSING":
                checkout_sales.add(ev["txId"])
            elif detail.get("state") == "RESULT" and detail.get("txState") in _FINAL_VALUES:
                seen.add(ev["txId"])
        return [tx for tx in reversed(recent) if tx.id in checkout_sales and tx.id not in seen]

    def pending_refund_count(self) -> int:
        """Refunds the acquirer has not confirmed yet (still retried)."""
        return sum(1 for r in self._journal.pending_refunds() if r.state == REFUND_PENDING)

    def mark_seen(self, tx_id: str) -> None:
        self._journal.note(tx_id, SEEN_NOTE)
