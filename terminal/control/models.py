"""Request and response shapes of the control API (terminal-interfaces.md §2).

Requests are strict: unknown fields, wrong types and malformed amounts are refused (400) before
any handler runs. Response models only document the answers (the handlers return the core's
own `to_api()` dicts), so the published OpenAPI document says what a client gets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..money import MINOR_UNITS


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


if TYPE_CHECKING:
    Currency = str      # a Literal built from a table at import time is beyond a static checker
else:
    Currency = Literal[tuple(sorted(MINOR_UNITS))]


class Amount(_Request):
    """Minor units as a decimal string, as in the acquirer contract: USD 12.50 is "1250".
    The terminal accepts only its configured currencies, up to its configured maximum."""

    currency: Currency = Field(examples=["USD"])
    value: str = Field(pattern=r"^[1-9][0-9]{0,12}$", examples=["1250"])


class Tip(Amount):
    value: str = Field(pattern=r"^(0|[1-9][0-9]{0,12})$", examples=["200"])


class SaleRequest(_Request):
    amount: Amount
    tip: Tip | None = None
    reference: str = Field(max_length=64, description="the ECR's order reference (may be empty)")
    idempotencyKey: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$",
                                description="the same key returns the same sale, also after a restart")


class ScanRequest(_Request):
    code: str = Field(min_length=1, max_length=512, description="the scanned text, as a scanner delivers it")


RefundReasonCode = Literal["returned", "damaged", "overcharged", "other"]   # terminal/refund_reasons.py


class RefundRequest(_Request):
    """Exactly one of managerPin and ownerPin."""

    amount: Amount | None = Field(None, description="default: all that is left to refund")
    reason: RefundReasonCode | None = Field(
        None, description="why the customer is refunded (the touchscreen's choices): journalled, printed on the "
                          "refund slip in its language, sent to the acquirer; 'other' needs reasonText")
    reasonText: str | None = Field(None, min_length=1, max_length=100,
                                   description="with reason 'other' only: why, in words (not a payment code)")
    managerPin: str | None = Field(None, pattern=r"^[0-9]{4,12}$",
                                   description="the manager PIN (5 wrong tries lock it for 5 minutes)")
    ownerPin: str | None = Field(None, pattern=r"^[0-9]{4,12}$",
                                 description="the owner PIN, an override instead of managerPin (e.g. while the "
                                             "manager PIN is locked); its own limit: 3 wrong tries lock it for "
                                             "15 minutes")

    @model_validator(mode="after")
    def _one_pin(self) -> RefundRequest:
        if (self.managerPin is None) == (self.ownerPin is None):
            raise ValueError("give exactly one of managerPin and ownerPin")
        return self


# -- answers (documentation) ---------------------------------------------------------------------
class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class AmountOut(_Answer):
    currency: str
    value: str


class ErrorBody(_Answer):
    code: str
    message: str


class ErrorResponse(_Answer):
    error: ErrorBody


class RefundOut(_Answer):
    refundId: str
    refundRequestId: str
    state: Literal["PENDING", "SUCCESS", "FAIL"]
    amount: AmountOut
    resultCode: str
    createdAt: str
    finalAt: str
    reason: str = Field("", description="the refund reason code, empty when none was given")
    reasonText: str = Field("", description="the text given with reason 'other'")


TxStateName = Literal["CREATED", "SENT", "UNKNOWN", "INQUIRING", "CANCEL_PENDING", "APPROVED", "DECLINED",
                      "CANCELLED", "PARTIALLY_REFUNDED", "REFUNDED"]


class TransactionOut(_Answer):
    transactionId: str
    paymentRequestId: str = Field(description='"" while the sale waits for its scan')
    state: TxStateName
    amount: AmountOut
    tip: AmountOut
    wallet: str
    maskedCode: str
    paymentId: str
    resultCode: str
    resultMessage: str
    reference: str
    createdAt: str
    finalAt: str
    refunds: list[RefundOut]
    awaitingScan: bool | None = Field(None, description="true: started, waiting for the customer's code")
    aborted: bool | None = Field(None, description="true: cancelled before a code was scanned (nothing sent)")
    customerAmount: AmountOut | None = None
    exchangeRate: str | None = None


class TransactionList(_Answer):
    transactions: list[TransactionOut]


class ScanAccepted(_Answer):
    transactionId: str
    state: Literal["PROCESSING"]


class UnknownResult(TransactionOut):
    """202: the outcome is not known yet; the terminal keeps resolving it (watch /v1/events)."""

    error: ErrorBody


class RefundResult(_Answer):
    refund: RefundOut
    transaction: TransactionOut


class DeviceHealth(_Answer):
    kind: str
    status: str
    ok: bool
    message: str


class SandboxAccess(_Answer):
    adminUrl: str
    caBundle: str


class StatusOut(_Answer):
    state: Literal["IDLE", "AWAITING_SCAN", "PROCESSING", "RESULT", "FAULT"]
    transactionId: str | None
    terminalId: str
    serialNumber: str
    version: str
    currency: str = Field(description="the default currency of a sale")
    currencies: list[str]
    devices: dict[str, DeviceHealth]
    faults: list[str]
    scansEnabled: bool
    lastEventSeq: int
    sandbox: SandboxAccess | None = None


class BatchReportOut(_Answer):
    batchId: str
    matched: bool
