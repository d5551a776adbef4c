"""The unknown-result schedule (spec §5) end to end: inquiry, then cancel; never a false result."""
from __future__ import annotations

import pytest

from terminal.demo_codes import code_for
from tests.support import acquirer_payment, assert_consistent, cli_json, run_cli


def states_of(config_path, tx_id: str) -> list[str]:
    from tests.support import build

    terminal = build(config_path)
    try:
        events = terminal.events.since(0, limit=10000)
    finally:
        terminal.close()
    return [e["to"] for e in events if e["txId"] == tx_id and e["kind"] == "state"]


@pytest.mark.parametrize("suffix, state, rc", [
    ("0091", "APPROVED", 0),    # PAYMENT_IN_PROCESS, SUCCESS on the 3rd inquiry
    ("0092", "DECLINED", 1),    # PAYMENT_IN_PROCESS, FAIL on the 2nd inquiry
    ("0093", "CANCELLED", 1),   # processing until cancelled: window ends, cancel accepted
    ("0096", "APPROVED", 0),    # SYSTEM_ERROR on pay, actually paid
    ("0098", "APPROVED", 0),    # answer slower than the read timeout, actually paid
])
def test_unknown_results_resolve_to_the_acquirers_state(config_path, sandbox, suffix, state, rc):
    code, tx = cli_json(config_path, "sale", "--amount", "7.25", "--code", code_for(suffix))
    assert code == rc, tx
    assert tx["state"] == state
    path = states_of(config_path, tx["transactionId"])
    assert path[:4] == ["CREATED", "SENT", "UNKNOWN", "INQUIRING"], path
    assert path[-1] == state
    assert_consistent(sandbox, [tx])


@pytest.mark.parametrize("fault", [
    {"kind": "http_error", "status": 500, "phase": "after"},
    {"kind": "http_error", "status": 502},
    {"kind": "http_error", "status": 503, "phase": "after"},
    {"kind": "drop_after"},
    {"kind": "malformed_json"},
])
def test_transport_faults_on_pay_never_lose_a_capture(config_path, sandbox, fault):
    sandbox.set_faults(dict(fault, path="/v1/payments/pay", count=1))
    rc, tx = cli_json(config_path, "sale", "--amount", "9.99", "--code", code_for("0000"))
    record = acquirer_payment(sandbox, tx["paymentRequestId"])
    processed = fault.get("phase") == "after" or fault["kind"] in ("drop_after", "malformed_json")
    assert tx["state"] == ("APPROVED" if processed else "CANCELLED"), (tx, record)
    assert rc == (0 if processed else 1)
    assert_consistent(sandbox, [tx])


def test_pay_never_arrived_is_cancelled_and_closed(config_path, sandbox):
    sandbox.set_faults(kind="drop_before", path="/v1/payments/pay", count=1)
    rc, tx = cli_json(config_path, "sale", "--amount", "1.50", "--code", code_for("0000"))
    assert rc == 1 and tx["state"] == "CANCELLED"
    record = acquirer_payment(sandbox, tx["paymentRequestId"])
    assert record is None or record["status"] == "CANCELLED"


def test_late_success_loses_to_the_cancel(config_path, sandbox):
    sandbox.set_faults(kind="late_success")
    rc, tx = cli_json(config_path, "sale", "--amount", "4.00", "--code", code_for("0093"))
    assert tx["state"] == "CANCELLED"
    record = acquirer_payment(sandbox, tx["paymentRequestId"])
    assert record["status"] == "CANCELLED"


def test_clock_skew_is_a_terminal_fault_and_a_decline(config_path, sandbox):
    sandbox.set_faults(kind="clock_skew", seconds=900)
    rc, tx = cli_json(config_path, "sale", "--amount", "4.00", "--code", code_for("0000"))
    assert rc == 1 and tx["state"] == "DECLINED" and tx["resultCode"] == "INVALID_REQUEST_TIME"
    assert_consistent(sandbox, [tx])


def test_acquirer_down_leaves_cancel_queued_then_recover(config_path, sandbox):
    sandbox.set_faults(kind="http_error", status=503)
    rc, tx = cli_json(config_path, "sale", "--amount", "6.00", "--code", code_for("0000"))
    assert rc == 4 and tx["state"] == "CANCEL_PENDING"
    # A new sale first resolves what is pending; with the acquirer still down it is refused.
    proc = run_cli(config_path, "sale", "--amount", "1.00", "--code", code_for("0000"))
    assert proc.returncode == 4 and "recovering" in proc.stderr
    sandbox.reset_faults()
    rc, new = cli_json(config_path, "sale", "--amount", "1.00", "--code", code_for("0000"))
    assert rc == 0 and new["state"] == "APPROVED"
    rc, old = cli_json(config_path, "transactions", tx["transactionId"])
    assert old["state"] == "CANCELLED"
    assert_consistent(sandbox, [old, new])


def _delivered(sandbox, prid: str) -> list[dict]:
    from tests.support import admin

    return [d for d in admin(sandbox, "GET", "/late-deliveries")["lateDeliveries"]
            if d["paymentRequestId"] == prid and d["delivered"]]


@pytest.mark.parametrize("form", ["call result", "paymentResult"])
def test_pay_delivered_late_after_never_received_charges_nothing(config_path, sandbox, form):
    """The pay is held on its way; the inquiry says ORDER_NOT_EXIST (in either place acquirers
    put it). The terminal must close the id with a cancel before it says "not charged": the
    held pay then arrives and is refused. Before the fix the paymentResult form ended DECLINED
    with no cancel, and the late pay charged the customer."""
    import time

    faults = [{"kind": "late_delivery", "path": "/v1/payments/pay", "count": 1, "seconds": 30}]
    if form == "paymentResult":
        faults.append({"kind": "inquiry_fail_form"})
    sandbox.set_faults(*faults)
    rc, tx = cli_json(config_path, "sale", "--amount", "3.10", "--code", code_for("0000"))
    assert tx["state"] == "CANCELLED" and rc == 1, tx
    deadline = time.monotonic() + 60   # bounded wait for the sandbox to deliver the held pay
    while not _delivered(sandbox, tx["paymentRequestId"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    delivered = _delivered(sandbox, tx["paymentRequestId"])
    assert delivered and delivered[0]["resultCode"] == "ORDER_IS_CLOSED", delivered
    assert acquirer_payment(sandbox, tx["paymentRequestId"])["status"] == "CANCELLED"
    assert_consistent(sandbox, [tx])
