"""End to end through the CLI against the sandbox acquirer over real HTTPS on loopback."""
from __future__ import annotations

import pytest

from terminal.demo_codes import code_for
from tests.support import assert_consistent, cli_json, files_under, run_cli


def test_approved_sale(config_path, sandbox):
    code = code_for("0000")
    rc, tx = cli_json(config_path, "sale", "--amount", "12.50", "--code", code)
    assert rc == 0, tx
    assert tx["state"] == "APPROVED"
    assert tx["amount"] == {"currency": "USD", "value": "1250"}
    assert tx["wallet"] == "ALIPAY_CN"
    assert tx["maskedCode"] == "281012**********00"
    assert tx["paymentId"]
    assert_consistent(sandbox, [tx])


@pytest.mark.parametrize("suffix, code", [("0051", "USER_BALANCE_NOT_ENOUGH"), ("0054", "PAYMENT_CODE_EXPIRED"),
                                          ("0059", "RISK_REJECT")])
def test_each_decline(config_path, sandbox, suffix, code):
    rc, tx = cli_json(config_path, "sale", "--amount", "3.00", "--code", code_for(suffix))
    assert rc == 1
    assert tx["state"] == "DECLINED" and tx["resultCode"] == code
    assert_consistent(sandbox, [tx])


@pytest.mark.parametrize("amount", ["12.505", "-1", "0", "1e3", "12,50", "", "10000.01"])
def test_bad_amount_exit_2_nothing_journalled(config_path, amount):
    proc = run_cli(config_path, "sale", "--amount", amount, "--code", code_for("0000"))
    assert proc.returncode == 2, proc.stderr
    assert "amount" in proc.stderr
    rc, listing = cli_json(config_path, "transactions")
    assert rc == 0 and listing["transactions"] == []


@pytest.mark.parametrize("code, words", [("https://example.com/pay", "not a payment code"),
                                         ("000201010211", "merchant-presented"),
                                         ("hQVDUFYwMQ==", "EMVCo")])
def test_bad_code_exit_2(config_path, code, words):
    proc = run_cli(config_path, "sale", "--amount", "1.00", "--code", code)
    assert proc.returncode == 2
    assert words in proc.stderr
    assert cli_json(config_path, "transactions")[1]["transactions"] == []


def test_tampered_response_signature_is_never_approved(config_path, sandbox):
    """Every answer badly signed: no approval can be trusted, the cancel stays queued (exit 4)."""
    sandbox.set_faults(kind="bad_signature")
    rc, tx = cli_json(config_path, "sale", "--amount", "5.00", "--code", code_for("0000"))
    assert rc == 4 and tx["state"] == "CANCEL_PENDING"
    sandbox.reset_faults()
    proc = run_cli(config_path, "recover")
    assert proc.returncode == 0, proc.stderr
    rc, tx = cli_json(config_path, "transactions", tx["transactionId"])
    assert tx["state"] == "CANCELLED"
    assert_consistent(sandbox, [tx])


def test_badly_signed_approval_is_confirmed_by_inquiry(config_path, sandbox):
    sandbox.set_faults(kind="bad_signature", path="/v1/payments/pay", count=1)
    rc, tx = cli_json(config_path, "sale", "--amount", "5.00", "--code", code_for("0000"))
    assert rc == 0 and tx["state"] == "APPROVED"
    assert_consistent(sandbox, [tx])


def test_raw_code_never_written_anywhere(config_path, sandbox, tmp_path):
    codes = [code_for(s) for s in ("0000", "0051", "0091", "0096")]
    outputs = []
    for code in codes:
        proc = run_cli(config_path, "-vv", "sale", "--amount", "2.00", "--code", code)
        outputs.append(proc.stdout + proc.stderr)
    proc = run_cli(config_path, "-vv", "transactions")
    outputs.append(proc.stdout + proc.stderr)
    for path in files_under(tmp_path):
        data = path.read_bytes()
        for code in codes:
            assert code.encode() not in data, f"raw code found in {path}"
    for text in outputs:
        for code in codes:
            assert code not in text


def test_no_request_leaves_when_the_journal_cannot_be_written(config_path, sandbox):
    """The journal row is the durable intent: if it cannot be committed, nothing is sent."""
    from terminal.errors import FaultError
    from tests.support import admin, build, client_id_of, core_journal

    client_id = client_id_of(config_path)
    terminal = build(config_path)
    try:
        core_journal(terminal)._db.execute("PRAGMA query_only = ON")
        with pytest.raises(FaultError):
            terminal.sale(terminal.parse_amount("3.00"), code_for("0000"))
    finally:
        core_journal(terminal)._db.execute("PRAGMA query_only = OFF")
        terminal.close()
    assert admin(sandbox, "GET", f"/payments?client_id={client_id}")["payments"] == []


def test_a_code_just_paid_with_is_refused_before_anything_is_sent(config_path, sandbox):
    """A double scan never double-charges, whatever the acquirer would answer."""
    code = code_for("0000")
    rc, first = cli_json(config_path, "sale", "--amount", "5.00", "--code", code)
    assert rc == 0 and first["state"] == "APPROVED"
    proc = run_cli(config_path, "sale", "--amount", "5.00", "--code", code)
    assert proc.returncode == 2 and "just used" in proc.stderr
    rc, listing = cli_json(config_path, "transactions")
    assert [t["transactionId"] for t in listing["transactions"]] == [first["transactionId"]]


def test_a_declined_code_may_be_scanned_again(config_path):
    code = code_for("0051")
    assert cli_json(config_path, "sale", "--amount", "5.00", "--code", code)[0] == 1
    assert cli_json(config_path, "sale", "--amount", "5.00", "--code", code)[0] == 1   # asked again, not refused


def test_checkout_rejects_a_reused_code_and_keeps_waiting(config_path):
    from terminal.checkout import Checkout, TerminalState
    from terminal.codes import PaymentCodeError
    from tests.support import build

    terminal = build(config_path)
    try:
        checkout = Checkout(terminal=terminal)
        code = code_for("0000")
        checkout.begin(terminal.parse_amount("2.00"))
        checkout.scan(code)
        assert checkout.wait(30).state.value == "APPROVED"
        checkout.acknowledge()
        checkout.begin(terminal.parse_amount("2.00"))
        with pytest.raises(PaymentCodeError) as err:
            checkout.scan(code)
        assert err.value.reason == "ALREADY_USED"
        assert checkout.state == TerminalState.AWAITING_SCAN      # the cashier scans a fresh code
        checkout.scan(code_for("0000"))
        assert checkout.wait(30).state.value == "APPROVED"
    finally:
        terminal.close()
