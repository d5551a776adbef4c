"""Small builders for journal tests."""
from __future__ import annotations

import uuid

from terminal.records import Refund, Transaction, new_id
from terminal.states import TxState


def make_tx(amount_minor: int = 1250, currency: str = "USD", **kw) -> Transaction:
    return Transaction(
        id=kw.pop("id", new_id("T")), payment_request_id=kw.pop("payment_request_id", f"PR{uuid.uuid4().hex}"),
        state=kw.pop("state", TxState.CREATED), currency=currency, amount_minor=amount_minor,
        order_ref=kw.pop("order_ref", f"O{uuid.uuid4().hex[:20]}"), **kw,
    )


def make_refund(tx: Transaction, amount_minor: int) -> Refund:
    return Refund(id=new_id("R"), refund_request_id=f"RR{uuid.uuid4().hex}", tx_id=tx.id,
                  currency=tx.currency, amount_minor=amount_minor, state="PENDING")


def approved_tx(journal, amount_minor: int = 1250, *, payment_id: str = "P-1") -> Transaction:
    """A sale the acquirer approved, journalled as the payment service leaves it."""
    tx = journal.create(make_tx(amount_minor))
    return journal.transition(tx.id, TxState.SENT, TxState.APPROVED, expect=TxState.CREATED,
                              result_code="SUCCESS", payment_id=payment_id)


def unknown_tx(journal, amount_minor: int = 1250) -> Transaction:
    """A sale sent whose answer never came: what the resolver starts from."""
    tx = journal.create(make_tx(amount_minor))
    return journal.transition(tx.id, TxState.SENT, TxState.UNKNOWN, expect=TxState.CREATED)
