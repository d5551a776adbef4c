"""A sale: scanned code -> tokenised, signed pay request -> journalled result.

Order of effects (the money-safety promise): validate input (nothing journalled on bad
input) -> build the request (JWE) -> commit the journal row -> send -> journal the answer.
An unknown answer goes to the Resolver before the sale returns.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from . import acquirer as api
from .codes import PaymentCode, PaymentCodeError
from .config import Config
from .crashpoints import crashpoint
from .errors import UnknownResultError
from .journal import Journal
from .reasons import FAULT_CODES
from .records import Transaction, new_id, now_iso
from .resolution import ProgressListener, Resolver, approved_fields
from .sale_rules import SaleRequest
from .signing import utc_timestamp
from .states import FINAL, TransitionRefused, TxState
from .tokenise import CredentialEncrypter

log = logging.getLogger("terminal.payments")
CODE_REUSE_WINDOW_S = 180   # wallet codes refresh about every minute; a repeat within 3 min is a double scan
S = TxState


class PaymentService:
    def __init__(self, *, config: Config, journal: Journal, client: api.AcquirerClient,
                 encrypter: Callable[[], CredentialEncrypter], resolver: Resolver, hmac_key: bytes,
                 terminal_id: Callable[[], str], on_fault: Callable[[str], None]):
        self.config = config
        self.journal = journal
        self.client = client
        self._encrypter = encrypter
        self.resolver = resolver
        self._hmac_key = hmac_key
        self._terminal_id = terminal_id
        self._on_fault = on_fault

    def sale(self, request: SaleRequest, code: PaymentCode, *, progress: ProgressListener | None = None,
             tx_id: str | None = None) -> Transaction:
        """Journal the intent, send, journal the answer. `request` passed the sale rules and `code`
        the reuse check (Terminal.sale / accept_code): neither is repeated here."""
        total = request.total
        tx = Transaction(
            id=tx_id or new_id("T"), payment_request_id=f"PR{uuid.uuid4().hex}", state=S.CREATED,
            currency=total.currency, amount_minor=total.minor,
            tip_minor=request.tip.minor if request.tip else 0, order_ref=f"O{uuid.uuid4().hex[:20]}",
            wallet=code.wallet.value, masked_code=code.masked, fingerprint=code.fingerprint(self._hmac_key),
            reference=request.reference[:64], idempotency_key=request.idempotency_key,
        )
        body = self._pay_body(tx, request, code)   # the JWE is made here; the code is then dropped
        code.drop()
        tx = self.journal.create(tx)               # durable intent BEFORE the request leaves
        crashpoint("after_intent")
        result = self.client.call(api.PAY, body, echo={"paymentRequestId": tx.payment_request_id,
                                                       "paymentAmount": total.to_api()})
        crashpoint("after_pay_response")
        return self.apply_pay_result(tx, result, progress=progress)

    def refuse_reused(self, code: PaymentCode) -> None:
        """A wallet code pays once. The same code again within the reuse window is a double scan:
        refused before anything is journalled or sent, whatever the acquirer would say."""
        if self.journal.charged_with(code.fingerprint(self._hmac_key), since=now_iso(-CODE_REUSE_WINDOW_S)):
            raise PaymentCodeError("ALREADY_USED")

    def apply_pay_result(self, tx: Transaction, result: api.AcquirerResult, *,
                         progress: ProgressListener | None = None) -> Transaction:
        """Journal the pay answer from CREATED only (compare-and-set): a sale's worker never moves
        a payment someone else already resolved; it reports the state it finds instead."""
        try:
            return self._apply_pay_result(tx, result, progress=progress)
        except TransitionRefused as refused:
            found = self.journal.get(tx.id)
            log.warning("pay answer not journalled: %s", refused.message, extra={"txId": tx.id})
            if found.state in FINAL:
                return found
            raise UnknownResultError(f"payment {tx.id} is being resolved elsewhere ({found.state.value}): "
                                     "see `pos-terminal transactions` for its outcome", code="RESULT_UNKNOWN") from None

    def _apply_pay_result(self, tx: Transaction, result: api.AcquirerResult, *,
                          progress: ProgressListener | None = None) -> Transaction:
        if result.ok:
            return self.journal.transition(tx.id, S.SENT, S.APPROVED, expect=S.CREATED, result_code=result.code,
                                           result_message=result.message, **approved_fields(result.body))
        if result.failed:
            if result.code in FAULT_CODES:
                self._on_fault(result.code)
            return self.journal.transition(tx.id, S.SENT, S.DECLINED, expect=S.CREATED, result_code=result.code,
                                           result_message=result.message)
        tx = self.journal.transition(tx.id, S.SENT, S.UNKNOWN, expect=S.CREATED, result_code=result.code,
                                     result_message=result.message)
        log.info("pay outcome unknown; starting inquiries", extra={"txId": tx.id, "code": result.code})
        tx = self.resolver.inquire(tx, progress=progress)
        if tx.state == S.CANCEL_PENDING:
            tx = self.resolver.cancel(tx, deadline_s=self.config.acquirer.inquiry_window_s, progress=progress)
        return tx

    def _pay_body(self, tx: Transaction, request: SaleRequest, code: PaymentCode) -> dict:
        m = self.config.merchant
        expiry = datetime.now(UTC) + timedelta(seconds=self.config.acquirer.payment_expiry_s)
        amount = tx.amount.to_api()
        return {
            "paymentRequestId": tx.payment_request_id,
            "productCode": "IN_STORE_PAYMENT",
            "paymentAmount": amount,
            "order": {
                "referenceOrderId": tx.order_ref,
                "orderDescription": request.description or f"{m.name} sale",
                "orderAmount": amount,
                "merchant": {"referenceMerchantId": m.id, "merchantName": m.name,
                             "store": {"referenceStoreId": m.store_id, "storeName": m.store_name}},
            },
            "paymentFactor": {"inStorePaymentScenario": "PaymentCode"},
            "paymentMethod": {"paymentMethodType": code.wallet.value,
                              "paymentMethodId": self._encrypter().encrypt(code)},
            "terminalId": self._terminal_id(),
            "paymentExpiryTime": utc_timestamp(expiry),
        }
