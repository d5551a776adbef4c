"""How the CLI speaks: one JSON object on stdout with --json, plain lines otherwise; errors on
stderr with a message that says what to do."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..money import money_from_api
from ..outcome import APPROVED, NOT_CHARGED, outcome_kind
from ..reasons import reason
from ..records import Transaction


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """Progress for people, on stderr so --json stdout stays one object."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def describe(tx: Transaction) -> str:
    lines = [f"{tx.state.value:<18} {tx.amount.plain()} {tx.currency}  {tx.wallet} {tx.masked_code}".rstrip()]
    if tx.result_code and not tx.captured:
        lines.append(f"  {reason(tx.result_code, tx.result_message)}")
    lines.append(f"  transaction {tx.id}  payment request {tx.payment_request_id}")
    if tx.payment_id:
        lines.append(f"  payment id {tx.payment_id}")
    if tx.customer_amount:
        customer = money_from_api(json.loads(tx.customer_amount))
        lines.append(f"  customer pays {customer.plain()} {customer.currency} at rate {tx.exchange_rate}")
    for r in tx.refunds:
        lines.append(f"  refund {r.id} {r.amount.plain()} {r.currency} {r.state} {r.result_code}")
    return "\n".join(lines)


def exit_code_for(tx: Transaction) -> int:
    """0 approved (captured), 1 not charged, 4 not confirmed yet (outcome.py)."""
    return {APPROVED: 0, NOT_CHARGED: 1}.get(outcome_kind(tx), 4)
