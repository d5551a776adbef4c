"""batchClose: the acquirer's totals for everything that became final since the last close.

Every final state change is stamped with a global sequence number (`final_seq`); a batch for
a client covers (previous accepted batch's upper bound, current sequence]. Counted: payments
whose final state is SUCCESS (even if refunded since) and successful refunds. Cancelled and
failed payments are not counted. The answer is stored under batchId (idempotent).
"""
from __future__ import annotations

import hashlib
import json

from .amounts import Amount, amount_from_api
from .auth import Client
from .logs import log_event
from .protocol import Refusal, illegal, now_ms, req_id, req_str, result, timestamp
from .store import Store

COUNT_FIELDS = ("paymentCount", "refundCount")
AMOUNT_FIELDS = ("paymentAmount", "refundAmount")


class BatchClose:
    def __init__(self, *, store: Store):
        self.store = store

    def close(self, client: Client, data: dict) -> dict:
        batch_id = req_id(data, "batchId")
        req_str(data, "openedAt", optional=True)
        req_str(data, "closedAt", optional=True)
        theirs = _parse_totals(data.get("totals"))
        request_hash = hashlib.sha256(json.dumps(
            {k: data.get(k) for k in ("openedAt", "closedAt", "totals")}, sort_keys=True).encode()).hexdigest()
        with self.store.tx():
            done = self.store.one("SELECT * FROM batches WHERE client_id = ? AND batch_id = ?",
                                  client.client_id, batch_id)
            if done is not None:
                if done["request_hash"] != request_hash:
                    raise Refusal("REPEAT_REQ_INCONSISTENT")
                return json.loads(done["response_json"])
            last = self.store.the_one("SELECT MAX(seq_to) AS seq FROM batches WHERE client_id = ?", client.client_id)
            seq_from, seq_to = (last["seq"] or 0), self.store.current_value("final_seq")
            items = self._items(client.client_id, seq_from, seq_to)
            ours = _totals(items)
            matched = _normalise(ours) == _normalise(theirs)
            answer = {"result": result("SUCCESS"), "batchId": batch_id, "acquirerTotals": ours,
                      "matched": "true" if matched else "false"}
            if not matched:
                answer["transactions"] = items
            self.store.insert("batches", {"client_id": client.client_id, "batch_id": batch_id,
                                          "request_hash": request_hash, "seq_from": seq_from, "seq_to": seq_to,
                                          "response_json": json.dumps(answer), "created_ms": now_ms()})
        log_event("batchClose", clientId=client.client_id, batchId=batch_id, matched=matched, items=len(items))
        return answer

    def _items(self, client_id: str, seq_from: int, seq_to: int) -> list[dict]:
        pays = self.store.all(
            "SELECT * FROM payments WHERE client_id = ? AND status = 'SUCCESS' AND final_seq > ? "
            "AND final_seq <= ? ORDER BY final_seq", client_id, seq_from, seq_to)
        refunds = self.store.all(
            "SELECT * FROM refunds WHERE client_id = ? AND status = 'SUCCESS' AND final_seq > ? "
            "AND final_seq <= ? ORDER BY final_seq", client_id, seq_from, seq_to)
        items = [(p["final_seq"], {
            "type": "PAYMENT", "paymentRequestId": p["payment_request_id"], "paymentId": p["payment_id"],
            "amount": Amount(p["currency"], p["value"]).to_api(), "status": "SUCCESS",
            "time": timestamp(p["final_ms"])}) for p in pays]
        items += [(r["final_seq"], {
            "type": "REFUND", "refundRequestId": r["refund_request_id"], "refundId": r["refund_id"],
            "paymentRequestId": r["payment_request_id"], "paymentId": r["payment_id"],
            "amount": Amount(r["currency"], r["value"]).to_api(), "status": "SUCCESS",
            "time": timestamp(r["final_ms"])}) for r in refunds]
        return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def _totals(items: list[dict]) -> list[dict]:
    sums: dict[str, list[int]] = {}
    for item in items:
        entry = sums.setdefault(item["amount"]["currency"], [0, 0, 0, 0])
        offset = 0 if item["type"] == "PAYMENT" else 2
        entry[offset] += 1
        entry[offset + 1] += int(item["amount"]["value"])
    return [{"currency": c, "paymentCount": str(v[0]), "paymentAmount": str(v[1]), "refundCount": str(v[2]),
             "refundAmount": str(v[3])} for c, v in sorted(sums.items())]


def _parse_totals(totals: object) -> list[dict]:
    if totals is None:
        return []
    if not isinstance(totals, list):
        raise illegal("totals must be a list")
    seen = set()
    for entry in totals:
        if not isinstance(entry, dict) or set(entry) != {"currency", *COUNT_FIELDS, *AMOUNT_FIELDS}:
            raise illegal("each totals entry has exactly currency, paymentCount, paymentAmount, "
                          "refundCount, refundAmount")
        for name in (*COUNT_FIELDS, *AMOUNT_FIELDS):
            try:
                amount_from_api({"currency": entry["currency"], "value": entry[name]})
            except ValueError as exc:
                raise illegal(f"totals {entry.get('currency')}.{name}: {exc}") from None
        if entry["currency"] in seen:
            raise illegal(f"totals: currency {entry['currency']} appears twice")
        seen.add(entry["currency"])
    return totals


def _normalise(totals: list[dict]) -> dict:
    out = {}
    for e in totals:
        key = tuple(int(e[f]) for f in ("paymentCount", "paymentAmount", "refundCount", "refundAmount"))
        if any(key):
            out[e["currency"]] = key
    return out
