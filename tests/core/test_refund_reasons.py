"""Refund reasons (issue #13): one set of codes for the touchscreen, the control API and the
CLI; a bad one is refused with what is accepted; the journalled reason is what a retry sends."""
from __future__ import annotations

import pytest

from terminal.errors import InputError
from terminal.refund_reasons import REASON_CODES, RefundReason, refund_reason


def test_the_presets_and_other_with_its_text():
    assert REASON_CODES == ("returned", "damaged", "overcharged", "other")
    assert refund_reason("Damaged") == RefundReason("damaged")
    assert refund_reason("damaged").sent == "Damaged item"
    assert refund_reason("other", "  wrong   size ") == RefundReason("other", "wrong size")
    assert refund_reason("other", "wrong size").sent == "wrong size"
    assert refund_reason(None, "wrong size") == RefundReason("other", "wrong size")   # a text alone
    assert refund_reason(None) is None and refund_reason("", "  ") is None          # none given


@pytest.mark.parametrize("code, text, says", [
    ("broken", None, "one of returned, damaged, overcharged, other"),
    ("other", None, "needs a text"),
    ("other", "x" * 101, "at most 100"),
    ("returned", "wrong size", "a text goes with the reason 'other' only"),
    ("other", "281012345678901234", "looks like a payment code"),
])
def test_a_bad_reason_is_refused_saying_what_is_accepted(code, text, says):
    with pytest.raises(InputError) as err:
        refund_reason(code, text)
    assert err.value.code == "BAD_REASON" and says in err.value.message
    assert "281012345678901234" not in err.value.message


def test_the_journalled_reason_is_sent_again_after_a_restart(tmp_path):
    """A refund whose answer was lost is driven again by recovery: the same refundReason."""
    from terminal.acquirer import AcquirerResult
    from terminal.errors import UnknownResultError
    from terminal.journal import Journal
    from terminal.money import Money
    from terminal.refunds import RefundService
    from terminal.states import TxState

    from .fake_acquirer import FakeAcquirer, ok, unknown
    from .journal_helpers import make_tx

    journal = Journal(tmp_path / "j.sqlite")
    try:
        tx = journal.create(make_tx(2000, state=TxState.APPROVED, payment_id="P1"))
        acquirer = FakeAcquirer().answer("/v1/payments/refund", unknown(), ok(refundId="RF1"))
        acquirer.answer("/v1/payments/inquiryRefund", AcquirerResult("F", "ORDER_NOT_EXIST", verified=True))
        service = RefundService(journal=journal, client=acquirer, retry_base_s=0, retry_cap_s=0,
                                wait=lambda _s: True)        # interrupted at once: stays pending
        with pytest.raises(UnknownResultError):
            service.refund(tx.id, Money("USD", 500), reason=refund_reason("overcharged"))
        [pending] = journal.pending_refunds()
        assert (pending.reason_code, pending.reason_text) == ("overcharged", "")
        restarted = RefundService(journal=journal, client=acquirer, retry_base_s=0, retry_cap_s=0,
                                  wait=lambda _s: False)
        done = restarted.drive(pending)
        assert done.state == "SUCCESS" and done.reason_code == "overcharged"
        sent = [s.body["refundReason"] for s in acquirer.sent if s.path == "/v1/payments/refund"]
        assert sent == ["Customer overcharged", "Customer overcharged"]
    finally:
        journal.close()
