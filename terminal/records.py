"""Journal records: a payment (`Transaction`) and its refunds, as the journal stores them and
as the CLI and control API show them (terminal-interfaces.md §1 transaction object)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .money import Money
from .states import CAPTURED, FINAL, TxState

REFUND_PENDING, REFUND_SUCCESS, REFUND_FAIL = "PENDING", "SUCCESS", "FAIL"


def iso_utc(when: datetime) -> str:
    """The journal's timestamp form (UTC, milliseconds, Z): comparable as text."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso(offset_s: float = 0) -> str:
    """Now (or now + offset_s) in the journal's timestamp form."""
    return iso_utc(datetime.now(UTC) + timedelta(seconds=offset_s))


def new_id(prefix: str) -> str:
    """Short enough to print on one 32-column receipt line; 64 random bits per terminal."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


@dataclass
class Refund:
    id: str
    refund_request_id: str
    tx_id: str
    currency: str
    amount_minor: int
    state: str
    refund_id: str = ""
    result_code: str = ""
    attempts: int = 0
    batch_id: str = ""
    created_at: str = ""
    final_at: str = ""
    reason_code: str = ""     # refund_reasons.REASON_CODES, "" when none was given
    reason_text: str = ""     # what was typed with "other"

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)

    def to_api(self) -> dict[str, Any]:
        return {
            "refundId": self.id, "refundRequestId": self.refund_request_id, "state": self.state,
            "amount": self.amount.to_api(), "resultCode": self.result_code,
            "createdAt": self.created_at, "finalAt": self.final_at,
            "reason": self.reason_code, "reasonText": self.reason_text,
        }


@dataclass
class Transaction:
    id: str
    payment_request_id: str
    state: TxState
    currency: str
    amount_minor: int
    order_ref: str
    created_at: str = ""
    updated_at: str = ""
    tip_minor: int = 0
    wallet: str = ""
    masked_code: str = ""
    fingerprint: str = ""
    reference: str = ""
    idempotency_key: str | None = None
    payment_id: str = ""
    payment_token: str = ""
    payment_time: str = ""
    result_code: str = ""
    result_message: str = ""
    customer_amount: str = ""
    exchange_rate: str = ""
    cancel_reason: str = ""
    cancel_attempts: int = 0
    next_attempt_at: str = ""
    batch_id: str = ""
    final_at: str = ""
    refunds: list[Refund] = field(default_factory=list)

    @property
    def amount(self) -> Money:
        """Total charged (amount + tip)."""
        return Money(self.currency, self.amount_minor)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL

    @property
    def captured(self) -> bool:
        return self.state in CAPTURED

    def refunded(self) -> Money:
        return Money(self.currency, sum(r.amount_minor for r in self.refunds if r.state == REFUND_SUCCESS))

    def to_api(self) -> dict[str, Any]:
        """The CLI --json and control API transaction object (terminal-interfaces.md §1)."""
        out = {
            "transactionId": self.id, "paymentRequestId": self.payment_request_id,
            "state": self.state.value, "amount": self.amount.to_api(),
            "tip": Money(self.currency, self.tip_minor).to_api(), "wallet": self.wallet,
            "maskedCode": self.masked_code, "paymentId": self.payment_id,
            "resultCode": self.result_code, "resultMessage": self.result_message,
            "reference": self.reference, "createdAt": self.created_at, "finalAt": self.final_at,
            "refunds": [r.to_api() for r in self.refunds],
        }
        if self.customer_amount:
            out["customerAmount"] = json.loads(self.customer_amount)
            out["exchangeRate"] = self.exchange_rate
        return out
