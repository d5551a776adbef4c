"""One owner per state directory (issue #10, observed failure 1).

A second `pos-terminal` process used to resolve the payment the first one was waiting on: the
sale failed with `illegal transaction state change APPROVED -> SENT` while the customer had been
charged, or an approved payment was cancelled behind the cashier's back. Now the process that
sends holds an exclusive lock; money commands from a second process are handed to it over its
owner socket, or refused (exit 3) naming it.
"""
from __future__ import annotations

import os
import signal
import stat
import tomllib
from pathlib import Path

import tomli_w

from terminal.control.client import TerminalClient
from terminal.demo_codes import code_for
from tests.ownerkit import (
    start_control,
    stop,
    wait_for_acquirer_payment,
    wait_for_journal_state,
)
from tests.support import (
    acquirer_payment,
    assert_consistent,
    cli_json,
    client_id_of,
    popen_cli,
    run_cli,
    write_terminal_config,
)


def _rig(tmp_path, sandbox, **acquirer):
    return write_terminal_config(tmp_path, sandbox, control={"enabled": True}, acquirer=acquirer or None)


def _state(config: Path) -> Path:
    return Path(tomllib.loads(config.read_text())["storage"]["state_dir"])


def _all_transactions(config: Path) -> list[dict]:
    rc, listing = cli_json(config, "transactions")
    assert rc == 0, listing
    return listing["transactions"]


def test_recover_beside_a_control_sale_waiting_on_0098(tmp_path, sandbox):
    """0098 via the control API, `recover` from another process while the pay is in flight: the
    recover is handed to the owner (it cannot race), the sale ends APPROVED, both sides agree."""
    config = _rig(tmp_path, sandbox, inquiry_window_s=10)
    proc, url, token = start_control(config)
    try:
        client = TerminalClient(url, token)
        tx = client.sale("7.25")
        client.scan(code_for("0098"))
        wait_for_acquirer_payment(sandbox, client_id_of(config))
        recover = run_cli(config, "recover")
        assert recover.returncode == 0, recover.stderr
        assert "handed to the running terminal" in recover.stderr
        done = client.wait(tx, timeout=60)
        assert done.state == "APPROVED"
        record = acquirer_payment(sandbox, done.paymentRequestId)
        assert record["status"] == "SUCCESS"
        events = client.request("GET", "/v1/transactions/" + done.id)[1]
        assert events["state"] == "APPROVED"
    finally:
        _out, err = stop(proc)
    assert "illegal transaction state change" not in err
    assert_consistent(sandbox, _all_transactions(config))


def test_recover_beside_a_slow_inquiry_never_cancels_the_approved_payment(tmp_path, sandbox):
    """Slow inquiries (0091 answers SUCCESS at the 3rd): a `recover` started meanwhile used to run
    its own inquiry window out and cancel the payment the cashier saw APPROVED."""
    config = _rig(tmp_path, sandbox, inquiry_interval_s=0.3, inquiry_window_s=3)
    sandbox.set_faults({"kind": "delay", "seconds": 0.5, "path": "/v1/payments/inquiryPayment"})
    proc, url, token = start_control(config)
    try:
        client = TerminalClient(url, token)
        tx = client.sale("3.10")
        client.scan(code_for("0091"))
        wait_for_journal_state(_state(config), {"INQUIRING"})
        recover = run_cli(config, "recover")
        assert recover.returncode in (0, 1), recover.stderr   # handed over (0), or refused as busy (1)
        assert "handed to the running terminal" in recover.stderr
        done = client.wait(tx, timeout=60)
        assert done.state == "APPROVED"
    finally:
        stop(proc)
    sandbox.reset_faults()
    txs = _all_transactions(config)
    assert [t["state"] for t in txs] == ["APPROVED"]
    assert acquirer_payment(sandbox, txs[0]["paymentRequestId"])["status"] == "SUCCESS"
    assert_consistent(sandbox, txs)


def test_two_cli_sales_one_and_a_half_seconds_apart(tmp_path, sandbox):
    """The second sale does not touch the first's payment: it exits 3 naming the process that
    holds the terminal; the first ends APPROVED with exit 0."""
    config = write_terminal_config(tmp_path, sandbox, acquirer={"inquiry_window_s": 10, "read_timeout_s": 20})
    # The first sale waits on its pay answer (held 5 s by the sandbox) while the second starts.
    sandbox.set_faults({"kind": "delay", "seconds": 5, "count": 1, "path": "/v1/payments/pay"})
    first = popen_cli(config, "--json", "sale", "--amount", "4.00", "--code", code_for("0000"))
    try:
        wait_for_acquirer_payment(sandbox, client_id_of(config))
        code = code_for("0000")
        second = run_cli(config, "sale", "--amount", "5.00", "--code", code)
        assert second.returncode == 3, second.stderr
        assert f"process {first.pid}" in second.stderr and "sale" in second.stderr
        assert code not in second.stderr
        _out, err = first.communicate(timeout=90)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    assert "illegal transaction state change" not in err
    txs = _all_transactions(config)
    assert [t["state"] for t in txs] == ["APPROVED"]     # the refused sale wrote nothing
    assert_consistent(sandbox, txs)


def test_money_commands_hand_over_and_read_only_ones_work_beside_the_owner(tmp_path, sandbox):
    config = _rig(tmp_path, sandbox)
    state = _state(config)
    proc, _url, _token = start_control(config)
    try:
        sock = state / "owner.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        holder = (state / "owner.lock").read_text()
        assert str(proc.pid) in holder and "control" in holder
        rc, sale = cli_json(config, "sale", "--amount", "12.00", "--code", code_for("0000"))
        assert rc == 0 and sale["state"] == "APPROVED"
        pin = tmp_path / "pin"
        pin.write_text("2468")
        rc, refunded = cli_json(config, "refund", sale["transactionId"], "--amount", "2.00", "--pin-file", str(pin))
        assert rc == 0 and refunded["state"] == "PARTIALLY_REFUNDED"
        assert [t["state"] for t in _all_transactions(config)] == ["PARTIALLY_REFUNDED"]
        second = run_cli(config, "control", "--port", "0")
        assert second.returncode == 3 and f"process {proc.pid}" in second.stderr
        reset = run_cli(config, "factory-reset", "--yes")
        assert reset.returncode == 3 and f"process {proc.pid}" in reset.stderr, reset.stderr
        assert (state / "journal.sqlite").exists()
        # The code travelled over the socket only: not in the lock file, not in the owner's output.
        assert code_for("0000")[:-2] not in (state / "owner.lock").read_text()
    finally:
        out, err = stop(proc)
    assert code_for("0000")[:-2] not in out + err
    assert not (state / "owner.sock").exists()
    assert_consistent(sandbox, _all_transactions(config))


def test_a_killed_owner_frees_the_terminal(tmp_path, sandbox):
    """kill -9 drops the flock (kernel): the next command owns the directory and resolves."""
    config = _rig(tmp_path, sandbox, inquiry_window_s=60)
    proc, url, token = start_control(config)
    try:
        client = TerminalClient(url, token)
        client.sale("9.99")
        client.scan(code_for("0093"))           # processing until cancelled: stays in inquiry
        wait_for_journal_state(_state(config), {"INQUIRING"})
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        stop(proc)
    assert (_state(config) / "owner.sock").exists()          # stale: nobody listens
    data = tomllib.loads(config.read_text())                  # a short window for the recovery
    data["acquirer"]["inquiry_window_s"] = 0.5
    config.write_text(tomli_w.dumps(data))
    recover = run_cli(config, "--json", "recover")
    assert recover.returncode == 0, recover.stderr
    assert "handed" not in recover.stderr
    txs = _all_transactions(config)
    assert [t["state"] for t in txs] == ["CANCELLED"]
    assert_consistent(sandbox, txs)
