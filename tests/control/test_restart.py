"""Restarts: idempotency keys hold across them; a terminal killed (SIGKILL) during a sale
resolves it from the journal at the next start and shows it through the API."""
from __future__ import annotations

import os
import signal
import tomllib
from pathlib import Path

import tomli_w

from terminal.control.client import TerminalClient
from tests.ownerkit import start_control
from tests.support import acquirer_payment

from .conftest import code_for, serve_terminal, stop_served


def sale_body(key: str) -> dict:
    return {"amount": {"currency": "USD", "value": "900"}, "reference": "R", "idempotencyKey": key}


def test_idempotency_key_holds_across_a_restart(config_path):
    first = serve_terminal(config_path)
    try:
        client = first.client()
        _, started = client.request("POST", "/v1/sales", json_body=sale_body("ECR-77"))
        client.scan(code_for("0000"))
        approved = client.wait(started["transactionId"])
    finally:
        stop_served(first)
    second = serve_terminal(config_path)
    try:
        client = second.client()
        status, again = client.request("POST", "/v1/sales", json_body=sale_body("ECR-77"))
        assert status == 200 and again["transactionId"] == approved.id and again["state"] == "APPROVED"
        assert client.status().state == "IDLE"       # no new sale was started
        assert len(client.transactions()) == 1
    finally:
        stop_served(second)


def _edit_config(path: Path, **acquirer) -> None:
    data = tomllib.loads(path.read_text())
    data["acquirer"].update(acquirer)
    path.write_text(tomli_w.dumps(data))


def test_killed_during_a_sale_resolved_at_restart(config_path, sandbox):
    # A long inquiry window keeps the 0093 payment (stays PROCESSING) in inquiry while we kill.
    _edit_config(config_path, inquiry_interval_s=0.05, inquiry_window_s=60)
    proc, url, token = start_control(config_path)
    try:
        client = TerminalClient(url, token)
        tx = client.sale("9.99", idempotency_key="ECR-KILL")
        client.scan(code_for("0093"))
        inquiring = client.wait(tx, state="INQUIRING", timeout=30)
        assert inquiring.paymentRequestId
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    # Restart with a short window: recovery at start inquires, then cancels (never charged).
    _edit_config(config_path, inquiry_window_s=0.5)
    proc, url, token = start_control(config_path)
    try:
        client = TerminalClient(url, token)
        resolved = client.get(tx.id)
        assert resolved.state == "CANCELLED" and resolved.paymentRequestId == inquiring.paymentRequestId
        assert [t.id for t in client.transactions()] == [tx.id]
        assert client.status().state == "IDLE"
        assert acquirer_payment(sandbox, resolved.paymentRequestId)["status"] == "CANCELLED"
        # The ECR retrying its request with the same key gets the resolved sale, not a new one.
        status, again = client.request("POST", "/v1/sales", json_body={
            "amount": {"currency": "USD", "value": "999"}, "reference": "", "idempotencyKey": "ECR-KILL"})
        assert status == 200 and again["transactionId"] == tx.id
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
