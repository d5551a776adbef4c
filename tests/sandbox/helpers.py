"""A minimal signing terminal for talking to the sandbox over real HTTPS in tests."""
from __future__ import annotations

import json
import uuid

import requests

from terminal.codes import parse_payment_code
from terminal.signing import (
    load_public_key,
    signed_headers,
    utc_timestamp,
    verify_headers,
)
from terminal.tokenise import CredentialEncrypter

APPROVE = "281012345678900000"     # 18 digits: Alipay HK range, settles in the payment currency
ALIPAY_CN = "2810123456789000000"  # 19 digits starting 28: Alipay+ (no conversion)


def code(suffix: str, prefix: str = "13") -> str:
    """An 18-digit WeChat-range code ending in `suffix` (no currency conversion)."""
    return prefix + "0" * (18 - len(prefix) - len(suffix)) + suffix


def cn_code(suffix: str = "0000") -> str:
    """A 17-digit Alipay CN code (starts 25-30, not 19 digits): settles in CNY."""
    return "25" + "1" * (17 - 2 - len(suffix)) + suffix


def new_id(prefix: str = "PR") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


class Terminal:
    def __init__(self, sandbox, *, client_id: str, terminal_id: str, private_key, key_version: int = 1):
        self.sb = sandbox
        self.client_id = client_id
        self.terminal_id = terminal_id
        self.private_key = private_key
        self.key_version = key_version
        self.acquirer_key = load_public_key(sandbox.signing_public_key_path.read_bytes())
        self.encrypter = CredentialEncrypter(public_key_pem=sandbox.encryption_public_key_path.read_bytes(),
                                             kid=sandbox.encryption_kid)

    @property
    def ca(self) -> str:
        return str(self.sb.ca_bundle_path)

    def path(self, suffix: str) -> str:
        return self.sb.ctx.settings.base_path + suffix

    def post_raw(self, suffix: str, body: bytes, *, headers: dict | None = None, client_id: str | None = None,
                 timestamp: str | None = None, private_key=None, key_version: int | None = None,
                 timeout: float = 10) -> requests.Response:
        path = self.path(suffix)
        hdrs = signed_headers(private_key=private_key or self.private_key,
                              key_version=key_version or self.key_version, path=path,
                              client_id=client_id or self.client_id, body=body,
                              timestamp=timestamp or utc_timestamp())
        hdrs["Content-Type"] = "application/json; charset=UTF-8"
        hdrs.update(headers or {})
        url = self.sb.base_url[: len(self.sb.base_url) - len(self.sb.ctx.settings.base_path)] + path
        return requests.post(url, data=body, headers=hdrs, verify=self.ca, timeout=timeout)

    def post(self, suffix: str, body: dict, **kw) -> dict:
        resp = self.post_raw(suffix, json.dumps(body).encode(), **kw)
        assert resp.status_code == 200, resp.text
        ok, why = self.verify(resp, suffix)
        assert ok, why
        return resp.json()

    def verify(self, resp: requests.Response, suffix: str) -> tuple[bool, str]:
        return verify_headers(public_key=self.acquirer_key, path=self.path(suffix), headers=resp.headers,
                              body=resp.content, time_header="Response-Time")

    def jwe(self, raw_code: str) -> str:
        return self.encrypter.encrypt(parse_payment_code(raw_code))

    def pay_body(self, raw_code: str, *, prid: str | None = None, value: str = "1250", currency: str = "USD",
                 order_ref: str | None = None) -> dict:
        prid = prid or new_id()
        amount = {"currency": currency, "value": value}
        return {
            "paymentRequestId": prid, "productCode": "IN_STORE_PAYMENT", "paymentAmount": amount,
            "order": {"referenceOrderId": order_ref or f"ORD-{prid}", "orderDescription": "Coffee",
                      "orderAmount": amount,
                      "merchant": {"referenceMerchantId": "M1", "merchantName": "Shop",
                                   "store": {"referenceStoreId": "S1", "storeName": "Main"}}},
            "paymentFactor": {"inStorePaymentScenario": "PaymentCode"},
            "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": self.jwe(raw_code)},
            "terminalId": self.terminal_id,
        }

    def pay(self, raw_code: str, **kw) -> dict:
        timeout = kw.pop("timeout", 10)
        return self.post("/v1/payments/pay", self.pay_body(raw_code, **kw), timeout=timeout)

    def inquire(self, prid: str) -> dict:
        return self.post("/v1/payments/inquiryPayment", {"paymentRequestId": prid})

    def cancel(self, prid: str) -> dict:
        return self.post("/v1/payments/cancelPayment", {"paymentRequestId": prid})

    def refund(self, payment_id: str, value: str, *, rrid: str | None = None, currency: str = "USD") -> dict:
        return self.post("/v1/payments/refund", {
            "refundRequestId": rrid or new_id("RF"), "paymentId": payment_id,
            "refundAmount": {"currency": currency, "value": value}, "refundReason": "test"})

    def admin(self, method: str, suffix: str, **kw) -> requests.Response:
        return requests.request(method, self.sb.admin_url + suffix, verify=self.ca, timeout=10, **kw)
