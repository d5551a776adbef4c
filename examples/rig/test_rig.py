"""An example rig suite: what a hardware-in-the-loop rig checks, written against the control
API through the rig kit. Runs against a terminal started from config/rig.toml, or a real one:

    pytest examples/rig --terminal-url http://rig-pi:8765 --terminal-token-file token.txt
"""
import pytest


def test_approval(terminal, code_for):
    tx = terminal.sale("12.50")
    terminal.scan(code_for("0000"))
    done = terminal.wait(tx)
    assert done.state == "APPROVED"
    assert done.amount.value == "1250" and done.maskedCode.endswith("00")


@pytest.mark.parametrize("suffix, code", [("0051", "USER_BALANCE_NOT_ENOUGH"), ("0054", "PAYMENT_CODE_EXPIRED"),
                                          ("0059", "RISK_REJECT")])
def test_declines(terminal, code_for, suffix, code):
    tx = terminal.sale("8.00")
    terminal.scan(code_for(suffix))
    done = terminal.wait(tx)
    assert (done.state, done.resultCode) == ("DECLINED", code)


def test_unknown_result_then_approved(terminal, code_for):
    """0091: PAYMENT_IN_PROCESS, SUCCESS at the 3rd inquiry; the rig sees the terminal inquire."""
    tx = terminal.sale("23.75")
    terminal.scan(code_for("0091"))
    assert terminal.wait(tx, state="INQUIRING").state in ("INQUIRING", "APPROVED")
    assert terminal.wait(tx).state == "APPROVED"


def test_stays_processing_is_cancelled(terminal, code_for):
    """0093: never resolves; after the inquiry window the terminal cancels: customer not charged."""
    tx = terminal.sale("4.00")
    terminal.scan(code_for("0093"))
    done = terminal.wait(tx, timeout=60)
    assert done.state == "CANCELLED"


def test_fault_switch_error_before_pay_ends_cancelled(terminal, code_for):
    """The acquirer answers 503 before it records the payment: unknown, inquiry finds nothing,
    the cancel closes it. The customer is not charged."""
    terminal.set_sandbox_faults(kind="http_error", status=503, phase="before", path="/v1/payments/pay", count=1)
    tx = terminal.sale("5.00")
    terminal.scan(code_for("0000"))
    done = terminal.wait(tx, timeout=60)
    assert done.state == "CANCELLED"
    record = terminal.sandbox_payment(done.paymentRequestId)   # the acquirer's side of it
    assert record is None or record["status"] == "CANCELLED"


def test_fault_switch_dropped_answer_still_approved(terminal, code_for):
    """The acquirer charges, then the connection drops: the inquiry finds the success."""
    terminal.set_sandbox_faults(kind="drop_after", path="/v1/payments/pay", count=1)
    tx = terminal.sale("6.00")
    terminal.scan(code_for("0000"))
    done = terminal.wait(tx, timeout=60)
    assert done.state == "APPROVED"
    assert terminal.sandbox_payment(done.paymentRequestId)["status"] == "SUCCESS"


def test_void_and_refund(terminal, code_for):
    tx = terminal.sale("10.00")
    terminal.scan(code_for("0000"))
    paid = terminal.wait(tx)
    refunded = terminal.refund(paid, "4.00", pin="1234")
    assert refunded.transaction.state == "PARTIALLY_REFUNDED"
    other = terminal.sale("3.00")
    terminal.scan(code_for("0000"))
    assert terminal.cancel(terminal.wait(other)).state == "CANCELLED"


def test_bad_scan_keeps_waiting(terminal, code_for):
    from terminal.control.client import ControlApiError

    tx = terminal.sale("2.00")
    with pytest.raises(ControlApiError) as refused:
        terminal.scan("https://example.com/not-a-payment-code")
    assert refused.value.status == 400
    assert terminal.status().state == "AWAITING_SCAN"
    terminal.scan(code_for("0000"))
    assert terminal.wait(tx).state == "APPROVED"
