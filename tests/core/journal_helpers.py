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
