"""Voids, refunds (manager PIN) and batch close through the CLI against the sandbox."""
from __future__ import annotations

from terminal.demo_codes import code_for
from tests.support import MANAGER_PIN, admin, assert_consistent, cli_json, run_cli


def approved(config_path, amount="20.00", suffix="0000") -> dict:
    rc, tx = cli_json(config_path, "sale", "--amount", amount, "--code", code_for(suffix))
    assert rc == 0 and tx["state"] == "APPROVED", tx
    return tx


def pin_file(tmp_path, pin=MANAGER_PIN):
    path = tmp_path / f"pin-{pin}"
    path.write_text(pin + "\n")
    return str(path)


def test_void(config_path, sandbox):
    tx = approved(config_path)
    rc, out = cli_json(config_path, "cancel", tx["transactionId"])
    assert rc == 0 and out["state"] == "CANCELLED"
    assert_consistent(sandbox, [out])
    proc = run_cli(config_path, "cancel", tx["transactionId"])
    assert proc.returncode == 1 and "only an approved payment" in proc.stderr


def test_void_after_window_says_refund_instead(config_path, sandbox):
    tx = approved(config_path)
    admin(sandbox, "POST", f"/payments/{tx['paymentRequestId']}/age", json={"hours": 25})
    proc = run_cli(config_path, "cancel", tx["transactionId"])
    assert proc.returncode == 1
    assert "refund" in proc.stderr
    rc, out = cli_json(config_path, "transactions", tx["transactionId"])
    assert out["state"] == "APPROVED"


def test_partial_then_full_refunds(config_path, sandbox, tmp_path):
    tx = approved(config_path, "20.00")
    pins = pin_file(tmp_path)
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--amount", "5.00", "--pin-file", pins)
    assert rc == 0 and out["state"] == "PARTIALLY_REFUNDED"
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--amount", "5.00", "--pin-file", pins)
    assert rc == 0 and out["state"] == "PARTIALLY_REFUNDED"
    proc = run_cli(config_path, "refund", tx["transactionId"], "--amount", "10.01", "--pin-file", pins)
    assert proc.returncode == 2 and "left to refund" in proc.stderr
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--pin-file", pins)
    assert rc == 0 and out["state"] == "REFUNDED"
    assert [r["amount"]["value"] for r in out["refunds"]] == ["500", "500", "1000"]
    assert_consistent(sandbox, [out])
    proc = run_cli(config_path, "refund", tx["transactionId"], "--pin-file", pins)
    assert proc.returncode == 1


def test_refund_wrong_pin_then_lockout(config_path, sandbox, tmp_path):
    tx = approved(config_path)
    wrong = pin_file(tmp_path, "0000")
    for left in (4, 3, 2, 1):
        proc = run_cli(config_path, "refund", tx["transactionId"], "--pin-file", wrong)
        assert proc.returncode == 1 and f"{left} tries left" in proc.stderr
    proc = run_cli(config_path, "refund", tx["transactionId"], "--pin-file", wrong)
    assert proc.returncode == 1 and "locked" in proc.stderr
    proc = run_cli(config_path, "refund", tx["transactionId"], "--pin-file", pin_file(tmp_path))
    assert proc.returncode == 1 and "locked" in proc.stderr   # even the right PIN, for 5 minutes
    rc, out = cli_json(config_path, "transactions", tx["transactionId"])
    assert out["state"] == "APPROVED" and out["refunds"] == []


def test_refund_with_unknown_result_is_confirmed(config_path, sandbox, tmp_path):
    tx = approved(config_path)
    sandbox.set_faults(kind="drop_after", path="/v1/payments/refund", count=1)
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--amount", "1.00", "--pin-file", pin_file(tmp_path))
    assert rc == 0 and out["state"] == "PARTIALLY_REFUNDED"
    assert len(out["refunds"]) == 1
    assert_consistent(sandbox, [out])


def test_batch_close_matches_then_opens_a_new_batch(config_path, sandbox, tmp_path):
    a = approved(config_path, "10.00")
    approved(config_path, "2.50")
    cli_json(config_path, "sale", "--amount", "3.00", "--code", code_for("0051"))
    cli_json(config_path, "refund", a["transactionId"], "--amount", "4.00", "--pin-file", pin_file(tmp_path))
    rc, report = cli_json(config_path, "close-batch")
    assert rc == 0 and report["matched"] is True
    assert report["totals"] == [{"currency": "USD", "paymentCount": "2", "paymentAmount": "1250",
                                 "refundCount": "1", "refundAmount": "400"}]
    rc, second = cli_json(config_path, "close-batch")
    assert rc == 0 and second["batchId"] != report["batchId"] and second["totals"] == []


def test_batch_close_names_a_payment_only_at_the_acquirer(config_path, sandbox, tmp_path):
    """A capture the terminal never journalled (another device, a bug): named, not hidden."""
    from tests.support import build

    approved(config_path, "10.00")
    terminal = build(config_path)
    try:
        # Send a pay the journal does not know of, with this terminal's own key.
        from terminal import acquirer as api
        from terminal.codes import parse_payment_code

        code = parse_payment_code(code_for("0000"))
        body = terminal._payments._pay_body(
            type("T", (), {"payment_request_id": "PR-stray-1", "amount": terminal.parse_amount("3.00"),
                           "order_ref": "O-stray"})(), type("R", (), {"description": ""})(), code)
        assert terminal._around.client.call(api.PAY, body).ok     # white-box: a stray pay
    finally:
        terminal.close()
    rc, report = cli_json(config_path, "close-batch")
    assert rc == 1 and report["matched"] is False
    kinds = {(d["kind"], d["reference"]) for d in report["differences"]}
    assert ("ONLY_AT_ACQUIRER", "PR-stray-1") in kinds


def test_refund_reason_is_journalled_sent_and_printed(config_path, sandbox, tmp_path):
    tx = approved(config_path, "12.00")
    pins = pin_file(tmp_path)
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--amount", "2.00", "--reason", "other",
                       "--reason-text", "wrong size", "--pin-file", pins)
    assert rc == 0 and [(r["reason"], r["reasonText"]) for r in out["refunds"]] == [("other", "wrong size")]
    rc, out = cli_json(config_path, "refund", tx["transactionId"], "--reason", "returned", "--pin-file", pins)
    assert rc == 0 and [r["reason"] for r in out["refunds"]] == ["other", "returned"]
    sent = [admin(sandbox, "GET", f"/refunds/{r['refundRequestId']}")["refundReason"] for r in out["refunds"]]
    assert sent == ["wrong size", "Item returned"]
    slips = (tmp_path / "receipts.txt").read_text(encoding="utf-8")
    assert "wrong size" in slips and "Returned" in slips and slips.count("Reason") == 2


def test_a_bad_refund_reason_exits_2_before_the_pin_is_asked(config_path, tmp_path):
    tx = approved(config_path, "3.00")
    proc = run_cli(config_path, "refund", tx["transactionId"], "--reason", "changed-mind")   # no PIN file
    assert proc.returncode == 2
    assert "unknown refund reason 'changed-mind': use one of returned, damaged, overcharged, other" in proc.stderr
    proc = run_cli(config_path, "refund", tx["transactionId"], "--reason", "other")
    assert proc.returncode == 2 and "needs a text" in proc.stderr
