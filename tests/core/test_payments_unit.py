"""PaymentService against a fake acquirer transport (the end-to-end tests stay): what is
journalled before the request leaves, and what each kind of answer becomes."""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.codes import PaymentCodeError, parse_payment_code
from terminal.config import parse_config
from terminal.demo_codes import code_for
from terminal.money import Money
from terminal.payments import PaymentService
from terminal.sale_rules import SaleRules
from tests.core.fake_acquirer import fail, ok, unknown

CONFIG = parse_config({"acquirer": {"inquiry_interval_s": 0.01, "inquiry_window_s": 0.05,
                                     "cancel_retry_max_s": 0.01}})
RULES = SaleRules.from_config(CONFIG.terminal)


class FakeEncrypter:
    def encrypt(self, code) -> str:
        return f"JWE({code.wallet.value})"       # stands for the RSA-OAEP/AES-GCM token


@pytest.fixture
def payments(journal, acquirer, resolver, faults):
    return PaymentService(config=CONFIG, journal=journal, client=acquirer, encrypter=FakeEncrypter,
                          resolver=resolver, hmac_key=b"k" * 32, terminal_id=lambda: "T-1", on_fault=faults.append)


def sale(payments, suffix="0000", minor=1250, tip=None, code=None):
    code = code or code_for(suffix)
    return payments.sale(RULES.request(Money("USD", minor), tip=tip), parse_payment_code(code))


def test_approved_pay_is_journalled_before_it_is_sent(payments, acquirer):
    acquirer.answer(api.PAY, ok(paymentId="P-1", paymentTime="2026-11-29T10:00:00Z"))
    scanned = code_for("0000")
    tx = sale(payments, tip=Money("USD", 150), code=scanned)
    assert tx.state.value == "APPROVED" and tx.payment_id == "P-1"
    assert tx.amount == Money("USD", 1400) and tx.tip_minor == 150
    (pay,) = acquirer.sent
    assert pay.journal_state == "CREATED"                     # durable intent before the request left
    assert pay.body["paymentAmount"] == {"currency": "USD", "value": "1400"}
    assert pay.body["paymentMethod"]["paymentMethodId"] == "JWE(ALIPAY_CN)"
    assert scanned not in repr(pay.body)                      # the code leaves only encrypted
    assert tx.masked_code.startswith("281012") and tx.masked_code.endswith("00") and "*" in tx.masked_code


def test_a_verified_decline_is_final_and_a_protocol_fault_is_reported(payments, acquirer, faults):
    acquirer.answer(api.PAY, fail("USER_BALANCE_NOT_ENOUGH"), fail("KEY_NOT_FOUND"))
    assert sale(payments).state.value == "DECLINED" and faults == []
    assert sale(payments, "0051").state.value == "DECLINED" and faults == ["KEY_NOT_FOUND"]


def test_unknown_pay_is_resolved_by_inquiry(payments, acquirer):
    acquirer.answer(api.PAY, unknown())
    acquirer.answer(api.INQUIRY, unknown(), ok(paymentStatus="SUCCESS", paymentId="P-2",
                                                paymentAmount={"currency": "USD", "value": "1250"}))
    tx = sale(payments)
    assert tx.state.value == "APPROVED" and tx.payment_id == "P-2"
    assert acquirer.paths() == [api.PAY, api.INQUIRY, api.INQUIRY]


def test_still_unknown_after_the_window_is_cancelled_never_approved(payments, acquirer):
    acquirer.answer(api.PAY, unknown())
    acquirer.answer(api.INQUIRY, unknown())
    acquirer.answer(api.CANCEL, unknown(), ok())
    tx = sale(payments)
    assert tx.state.value == "CANCELLED" and tx.cancel_reason == "unknown"
    assert acquirer.paths()[-2:] == [api.CANCEL, api.CANCEL]    # retried until the acquirer said S


def test_an_unconfirmed_cancel_stays_queued(payments, acquirer, journal):
    acquirer.answer(api.PAY, unknown())
    acquirer.answer(api.INQUIRY, unknown())
    acquirer.answer(api.CANCEL, unknown())
    tx = sale(payments)
    assert tx.state.value == "CANCEL_PENDING"
    assert [t.id for t in journal.pending()] == [tx.id]


def test_a_code_charged_within_the_reuse_window_is_refused_before_anything_is_sent(payments, acquirer):
    acquirer.answer(api.PAY, ok(paymentId="P-3"))
    scanned = code_for("0000")
    sale(payments, code=scanned)
    with pytest.raises(PaymentCodeError) as info:
        payments.refuse_reused(parse_payment_code(scanned))
    assert info.value.reason == "ALREADY_USED"
    assert acquirer.paths() == [api.PAY]
