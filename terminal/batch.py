"""Batch close with reconciliation (acquirer-api.md §4 batchClose).

Totals per currency of what became final in the open batch, compared with the acquirer's; a
report that names each difference; the batch is recorded and a new one opens.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import acquirer as api
from .errors import BusinessError, FaultError, UnknownResultError
from .journal import Journal
from .money import Money
from .records import now_iso
from .states import CAPTURED


@dataclass
class Difference:
    kind: str          # ONLY_ON_TERMINAL | ONLY_AT_ACQUIRER | AMOUNT_DIFFERS | TOTALS_DIFFER
    reference: str     # paymentRequestId / refundRequestId / currency
    terminal: str = ""
    acquirer: str = ""

    def to_api(self) -> dict:
        return {"kind": self.kind, "reference": self.reference, "terminal": self.terminal, "acquirer": self.acquirer}


@dataclass
class BatchReport:
    batch_id: str
    opened_at: str
    closed_at: str
    totals: list[dict]
    acquirer_totals: list[dict]
    matched: bool
    differences: list[Difference] = field(default_factory=list)

    def to_api(self) -> dict:
        return {"batchId": self.batch_id, "openedAt": self.opened_at, "closedAt": self.closed_at,
                "totals": self.totals, "acquirerTotals": self.acquirer_totals, "matched": self.matched,
                "differences": [d.to_api() for d in self.differences]}


def batch_totals(journal: Journal, batch_id: str) -> tuple[list[dict], dict[str, Money], dict[str, Money]]:
    """Contract totals plus per-reference amounts (payments, refunds) for naming differences."""
    txs, refunds = journal.batch_contents(batch_id)
    sums: dict[str, list[int]] = {}
    payments, refunds_by_id = {}, {}
    for tx in txs:
        if tx.state in CAPTURED:
            s = sums.setdefault(tx.currency, [0, 0, 0, 0])
            s[0] += 1
            s[1] += tx.amount_minor
            payments[tx.payment_request_id] = tx.amount
    for r in refunds:
        s = sums.setdefault(r.currency, [0, 0, 0, 0])
        s[2] += 1
        s[3] += r.amount_minor
        refunds_by_id[r.refund_request_id] = r.amount
    totals = [{"currency": c, "paymentCount": str(v[0]), "paymentAmount": str(v[1]),
               "refundCount": str(v[2]), "refundAmount": str(v[3])} for c, v in sorted(sums.items())]
    return totals, payments, refunds_by_id


class BatchCloser:
    def __init__(self, *, journal: Journal, client: api.AcquirerClient):
        self.journal = journal
        self.client = client

    def summary(self) -> dict:
        """What a close would send, before closing: the open batch and its totals per currency
        (the till shows it to the manager to confirm)."""
        batch = self.journal.open_batch()
        totals, _payments, _refunds = batch_totals(self.journal, batch["id"])
        return {"batchId": batch["id"], "openedAt": batch["opened_at"], "totals": totals}

    def close(self, *, allow_empty: bool = True) -> BatchReport:
        """``allow_empty=False`` (the till): a batch with no payment and no refund is refused, as
        closing it twice by mistake sends an empty day to the acquirer."""
        if self.journal.pending() or self.journal.pending_refunds():
            raise BusinessError("transactions are still pending: wait until the terminal has resolved them (if it is not "
                                "running, `pos-terminal recover`), then close the batch", code="PENDING")
        batch = self.journal.open_batch()
        totals, payments, refunds = batch_totals(self.journal, batch["id"])
        if not totals and not allow_empty:
            raise BusinessError("Nothing to close: no payments or refunds since the last batch close.",
                                code="EMPTY_BATCH")
        closed_at = now_iso()
        body = {"batchId": batch["id"], "openedAt": batch["opened_at"], "closedAt": closed_at, "totals": totals}
        result = self.client.call(api.BATCH_CLOSE, body, echo={"batchId": batch["id"]})
        if not result.verified:
            raise UnknownResultError(f"batch close not confirmed ({result.message}): run close-batch again")
        if result.status != "S":
            raise FaultError(f"acquirer refused the batch close: {result.code} {result.message}", code=result.code)
        acquirer_totals = result.body.get("acquirerTotals") or []
        matched = result.body.get("matched") == "true"
        differences = [] if matched else _differences(totals, acquirer_totals, payments, refunds,
                                                      result.body.get("transactions") or [])
        report = BatchReport(batch["id"], batch["opened_at"], closed_at, totals, acquirer_totals, matched, differences)
        self.journal.close_batch(batch["id"], report.to_api())
        self.journal.open_batch()
        return report


def _differences(totals: list[dict], acquirer_totals: object, payments: dict[str, Money],
                 refunds: dict[str, Money], acquirer_list: object) -> list[Difference]:
    diffs: list[Difference] = []
    theirs: dict[str, tuple[str, str]] = {}
    for item in acquirer_list if isinstance(acquirer_list, list) else []:
        if not isinstance(item, dict):
            continue
        ref = item.get("paymentRequestId") or item.get("refundRequestId")
        amount = item.get("amount") or item.get("paymentAmount") or item.get("refundAmount") or {}
        if ref:
            theirs[str(ref)] = (str(amount.get("value", "")), str(amount.get("currency", "")))
    ours = {ref: (str(m.minor), m.currency) for ref, m in {**payments, **refunds}.items()}
    for ref, (value, cur) in ours.items():
        if ref not in theirs:
            diffs.append(Difference("ONLY_ON_TERMINAL", ref, f"{value} {cur}"))
        elif theirs[ref] != (value, cur):
            diffs.append(Difference("AMOUNT_DIFFERS", ref, f"{value} {cur}", " ".join(theirs[ref])))
    for ref, (value, cur) in theirs.items():
        if ref not in ours:
            diffs.append(Difference("ONLY_AT_ACQUIRER", ref, acquirer=f"{value} {cur}"))
    if not diffs:
        mine = {t["currency"]: t for t in totals}
        for t in acquirer_totals if isinstance(acquirer_totals, list) else []:
            if isinstance(t, dict) and mine.get(t.get("currency")) != t:
                diffs.append(Difference("TOTALS_DIFFER", str(t.get("currency")), str(mine.get(t.get("currency"))), str(t)))
    return diffs
