"""The kill -9 crash matrix engine, shared by tests/e2e/test_crash_matrix.py (a fast subset in
CI) and bench/crash_matrix.py (the full matrix).

One run: a fresh terminal registered with the sandbox; optional set-up (an approved sale to
refund or void); the operation under test in a `pos-terminal` subprocess that SIGKILLs itself
at a named crash point (or is killed by the harness once the sandbox has the request); then
`pos-terminal recover` and a check that, for every journalled payment, the terminal's final
state equals the sandbox's (spec §6), that nothing is left pending, and that no receipt says
approved for a payment the acquirer did not capture.
"""
from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal.demo_codes import code_for
from tests.support import (
    MANAGER_PIN,
    acquirer_payment,
    assert_consistent,
    cli_json,
    client_id_of,
    popen_cli,
    run_cli,
    write_terminal_config,
)

SALE_POINTS = ["after_intent", "in_flight", "after_pay_response"]
UNKNOWN_POINTS = ["after_inquiry_response", "before_cancel", "after_cancel_response"]
REFUND_POINTS = ["after_refund_intent", "after_refund_response"]
VOID_POINTS = ["before_cancel", "after_cancel_response"]

FAULTS = {
    "none": None,
    "http_503_after": {"kind": "http_error", "status": 503, "phase": "after", "count": 1},
    "http_500": {"kind": "http_error", "status": 500, "count": 1},
    "drop_after": {"kind": "drop_after", "count": 1},
    "drop_before": {"kind": "drop_before", "count": 1},
    "bad_signature": {"kind": "bad_signature", "count": 1},
    "malformed_json": {"kind": "malformed_json", "count": 1},
    "late_success": {"kind": "late_success"},
}


@dataclass
class Case:
    op: str            # sale | refund | void
    point: str
    suffix: str = "0000"
    fault: str = "none"

    @property
    def name(self) -> str:
        return f"{self.op}-{self.suffix}-{self.point}-{self.fault}"


@dataclass
class Outcome:
    case: Case
    killed: bool
    mismatches: list[str] = field(default_factory=list)


def matrix(full: bool) -> list[Case]:
    cases = [Case("sale", p, s) for s, p in itertools.product(["0000", "0051", "0096"], SALE_POINTS)]
    cases += [Case("sale", p, "0091") for p in SALE_POINTS + UNKNOWN_POINTS[:1]]
    cases += [Case("sale", p, "0093") for p in SALE_POINTS + UNKNOWN_POINTS]
    cases += [Case("refund", p) for p in REFUND_POINTS] + [Case("void", p) for p in VOID_POINTS]
    if full:
        for fault in FAULTS:
            if fault == "none":
                continue
            cases += [Case("sale", p, "0000", fault) for p in SALE_POINTS]
            cases += [Case("sale", p, "0093", fault) for p in UNKNOWN_POINTS]
            cases += [Case("refund", p, "0000", fault) for p in REFUND_POINTS]
            cases += [Case("void", p, "0000", fault) for p in VOID_POINTS]
        return cases
    return cases


def _kill_when_acquirer_has_it(proc: subprocess.Popen, sandbox, client_id: str, timeout_s: float = 20) -> None:
    """'In flight': the sandbox has processed the request, the terminal has no answer yet."""
    from tests.support import admin

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if admin(sandbox, "GET", f"/payments?client_id={client_id}")["payments"]:
            proc.send_signal(signal.SIGKILL)
            return
        time.sleep(0.01)  # polling a condition with a bound, not waiting out a race


def run_case(case: Case, sandbox, workdir: Path) -> Outcome:
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_terminal_config(workdir, sandbox)
    client_id = client_id_of(config)
    sandbox.reset_faults()
    args: list[str]
    if case.op == "sale":
        args = ["sale", "--amount", "11.00", "--code", code_for(case.suffix)]
    else:
        rc, tx = cli_json(config, "sale", "--amount", "11.00", "--code", code_for(case.suffix))
        if rc != 0:
            return Outcome(case, False, [f"set-up sale failed (exit {rc}): {tx}"])
        if case.op == "refund":
            pin = workdir / "pin"
            pin.write_text(MANAGER_PIN)
            args = ["refund", tx["transactionId"], "--amount", "4.00", "--pin-file", str(pin)]
        else:
            args = ["cancel", tx["transactionId"]]
    if FAULTS[case.fault]:
        sandbox.set_faults(FAULTS[case.fault])
    env = {}
    if case.point == "in_flight":
        sandbox.set_faults([f for f in [FAULTS[case.fault]] if f] + [{"kind": "delay", "seconds": 3, "count": 1,
                                                                       "path": "/v1/payments/pay"}])
    else:
        env["POS_TERMINAL_CRASHPOINT"] = case.point
    proc = popen_cli(config, "--json", *args, env=env)
    if case.point == "in_flight":
        _kill_when_acquirer_has_it(proc, sandbox, client_id)
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    killed = proc.returncode == -signal.SIGKILL
    sandbox.reset_faults()
    outcome = Outcome(case, killed)
    recover = run_cli(config, "recover")
    if recover.returncode != 0:
        outcome.mismatches.append(f"recover exit {recover.returncode}: {recover.stderr[-300:]}")
    rc, listing = cli_json(config, "transactions")
    txs = listing.get("transactions", [])
    try:
        assert_consistent(sandbox, txs)
    except AssertionError as exc:
        outcome.mismatches.append(f"terminal/acquirer differ: {exc}")
    for tx in txs:
        if tx["state"] not in ("APPROVED", "DECLINED", "CANCELLED", "PARTIALLY_REFUNDED", "REFUNDED"):
            outcome.mismatches.append(f"{tx['transactionId']} left {tx['state']}")
        if any(r["state"] == "PENDING" for r in tx["refunds"]):
            outcome.mismatches.append(f"{tx['transactionId']} has a pending refund")
    outcome.mismatches += _receipt_mismatches(workdir, txs, sandbox)
    return outcome


def _receipt_mismatches(workdir: Path, txs: list[dict], sandbox) -> list[str]:
    """No receipt says APPROVED for a payment the acquirer has not captured."""
    receipts = workdir / "receipts.txt"
    if not receipts.exists():
        return []
    slips = receipts.read_text(encoding="utf-8").split("=" * 32)
    out = []
    for tx in txs:
        approved_slips = [s for s in slips if tx["transactionId"] in s and "APPROVED" in s and "SALE" in s]
        if approved_slips:
            record = acquirer_payment(sandbox, tx["paymentRequestId"])
            if record is None or record["status"] not in ("SUCCESS", "CANCELLED"):
                out.append(f"receipt says approved for {tx['transactionId']} but acquirer has {record}")
            if record and record["status"] == "CANCELLED" and not record["paymentId"]:
                out.append(f"approved receipt for {tx['transactionId']}, never captured")
    return out


def summarise(outcomes: list[Outcome]) -> dict:
    return {"runs": len(outcomes), "killed": sum(o.killed for o in outcomes),
            "mismatches": sum(len(o.mismatches) for o in outcomes),
            "details": {o.case.name: o.mismatches for o in outcomes if o.mismatches}}


if __name__ == "__main__":
    print(json.dumps({"cases": [c.name for c in matrix(True)]}, indent=1))
