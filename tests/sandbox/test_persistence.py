"""Restart on the same state directory, concurrency, admin access, logging hygiene."""
from __future__ import annotations

import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor

from sandbox.embedded import EmbeddedSandbox

from .conftest import make_terminal
from .helpers import Terminal, code, new_id


def test_restart_continues_exactly(tmp_path, terminal_key):
    sb = EmbeddedSandbox(state_dir=tmp_path, slow_response_s=0).start()
    kid, ca = sb.encryption_kid, sb.ca_bundle_path.read_bytes()
    signing = sb.signing_public_key_path.read_bytes()
    term = make_terminal(sb, terminal_key, client_id="persist", terminal_id="T-P")
    slow, done, closed = new_id(), new_id(), new_id()
    term.pay(code("0091"), prid=slow)
    assert term.inquire(slow)["paymentStatus"] == "PROCESSING"       # inquiry 1
    first = term.pay(code("0000"), prid=done, order_ref="O-1")
    term.cancel(closed)
    activation = sb.create_activation_code()
    sb.stop()

    sb = EmbeddedSandbox(state_dir=tmp_path, slow_response_s=0).start()
    try:
        assert (sb.encryption_kid, sb.ca_bundle_path.read_bytes(), sb.signing_public_key_path.read_bytes()) == \
            (kid, ca, signing)
        term = Terminal(sb, client_id="persist", terminal_id="T-P", private_key=terminal_key)
        assert term.inquire(slow)["paymentStatus"] == "PROCESSING"   # inquiry 2
        assert term.inquire(slow)["paymentStatus"] == "SUCCESS"      # inquiry 3
        assert term.pay(code("0000"), prid=done, order_ref="O-1") == first
        assert term.pay(code("0000"), prid=closed)["result"]["resultCode"] == "ORDER_IS_CLOSED"
        assert activation in {c["activationCode"] for c in term.admin("GET", "/activation-codes").json()[
            "activationCodes"]}
        new_ids = {p["paymentId"] for p in term.admin("GET", "/payments").json()["payments"]}
        assert term.pay(code("0000"))["paymentId"] not in new_ids    # id counters continue
    finally:
        sb.stop()
    for name in ("signing-key.pem", "encryption-key.pem", "server-key.pem", "ca-key.pem", "fingerprint.key"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_concurrent_requests(sandbox, terminal_key):
    term = make_terminal(sandbox, terminal_key)
    shared = new_id()
    body = term.pay_body(code("0000"), prid=shared, order_ref="SAME")
    with ThreadPoolExecutor(max_workers=8) as pool:
        same = list(pool.map(lambda _: term.post("/v1/payments/pay", body), range(12)))
        distinct = list(pool.map(lambda i: term.pay(code("0000"), value=str(100 + i)), range(12)))
    assert all(answer == same[0] for answer in same) and same[0]["result"]["resultCode"] == "SUCCESS"
    assert len({a["paymentId"] for a in distinct}) == 12
    rows = term.admin("GET", "/payments", params={"client_id": term.client_id}).json()["payments"]
    assert len(rows) == 13


def test_admin_is_loopback_only():
    from types import SimpleNamespace

    import pytest
    from fastapi import HTTPException

    from sandbox.admin import loopback_only

    for host in ("10.0.0.5", "192.168.1.2", None):
        with pytest.raises(HTTPException) as refused:
            loopback_only(SimpleNamespace(client=SimpleNamespace(host=host) if host else None))
        assert refused.value.status_code == 403
    for host in ("127.0.0.1", "::1"):
        loopback_only(SimpleNamespace(client=SimpleNamespace(host=host)))


def test_admin_views(term):
    prid = new_id()
    pay = term.pay(code("0000"), prid=prid, value="1000")
    term.refund(pay["paymentId"], "250")
    view = term.admin("GET", f"/payments/{prid}").json()
    assert view["status"] == "SUCCESS" and view["refundedAmount"] == {"currency": "USD", "value": "250"}
    assert view["codeMasked"] == "130000**********00"
    refunds = term.admin("GET", "/refunds", params={"client_id": term.client_id}).json()["refunds"]
    assert [r["status"] for r in refunds] == ["SUCCESS"]
    rrid = refunds[0]["refundRequestId"]
    assert term.admin("GET", f"/refunds/{rrid}").json()["refundAmount"]["value"] == "250"
    assert term.admin("GET", "/payments/nope").status_code == 404
    clients = term.admin("GET", "/clients").json()["clients"]
    assert any(c["clientId"] == term.client_id for c in clients)


def test_admin_register_client_and_codes(term, terminal_key):
    from terminal.signing import public_key_pem

    resp = term.admin("POST", "/clients", json={"client_id": "via-admin", "terminal_id": "T-A",
                                                "public_key_pem": public_key_pem(terminal_key).decode(),
                                                "key_version": 1})
    assert resp.status_code == 200 and resp.json()["clientId"] == "via-admin"
    t2 = Terminal(term.sb, client_id="via-admin", terminal_id="T-A", private_key=terminal_key)
    assert t2.pay(code("0000"))["result"]["resultCode"] == "SUCCESS"
    assert term.admin("POST", "/clients", json={"client_id": "x"}).status_code == 400
    made = term.admin("POST", "/activation-codes", json={"code": "ACT-FIXED-1"}).json()
    assert made == {"activationCode": "ACT-FIXED-1"}
    assert term.admin("POST", "/activation-codes", json={"code": "ACT-FIXED-1"}).status_code == 409


def test_logs_and_state_never_hold_the_raw_code(term, caplog):
    raw = "134567890123457777"
    with caplog.at_level(logging.DEBUG):
        term.pay(raw)
        term.pay(raw[:-4] + "0051")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "134567**********77" in text and raw not in text and raw[:-4] + "0051" not in text
    for path in term.sb.ctx.state_dir.iterdir():
        if path.is_file():
            assert raw.encode() not in path.read_bytes(), path
