"""factory-reset: refused with an open batch or unresolved transactions unless forced with the
technician PIN; removes keys, PINs and the journal."""
from __future__ import annotations

from tests.support import run_cli
from tests.technician.conftest import RAW_CODE, TECH_PIN

SECRETS = ("terminal_key.pem", "device_hmac.key", "control_token", "technician_pin.json", "manager_pin.json")


def _no_payments_left(state) -> bool:
    """The journal went with the reset; a fresh one holds only the audit record of the reset."""
    import sqlite3

    if not (state / "journal.sqlite").exists():
        return True
    db = sqlite3.connect(state / "journal.sqlite")
    try:
        return db.execute("SELECT COUNT(*) FROM transactions").fetchone()[0] == 0
    finally:
        db.close()


def _sale(config):
    proc = run_cli(config, "sale", "--amount", "2.00", "--code", RAW_CODE, "--no-receipt")
    assert proc.returncode == 0, proc.stderr


def test_refused_with_open_batch_then_forced_with_pin(provisioned, tmp_path):
    state = provisioned.parent
    _sale(provisioned)
    refused = run_cli(provisioned, "factory-reset", "--yes")
    assert refused.returncode == 1
    assert "open batch holds 1 captured" in refused.stderr and "close-batch" in refused.stderr
    assert (state / "terminal_key.pem").exists()
    no_pin = run_cli(provisioned, "factory-reset", "--yes", "--force", input="")
    assert no_pin.returncode == 2 and "--pin-file" in no_pin.stderr
    wrong = tmp_path / "wrong.pin"
    wrong.write_text("0000")
    bad = run_cli(provisioned, "factory-reset", "--yes", "--force", "--pin-file", str(wrong))
    assert bad.returncode == 1 and "wrong technician PIN" in bad.stderr
    assert (state / "journal.sqlite").exists()
    right = tmp_path / "right.pin"
    right.write_text(TECH_PIN)
    done = run_cli(provisioned, "factory-reset", "--yes", "--force", "--pin-file", str(right))
    assert done.returncode == 0, done.stderr
    assert not any((state / name).exists() for name in SECRETS) and _no_payments_left(state)
    assert not (state / "terminal.toml").exists()
    from terminal.audit import AuditTrail
    from terminal.journal import Journal

    journal = Journal(state / "journal.sqlite")      # the fresh journal starts with the record of the reset
    entries = AuditTrail(journal).entries()
    journal.close()
    assert [(e["action"], e["result"], e["detail"]["forced"]) for e in entries] == [("factory_reset", "ok", True)]


def test_after_batch_close_no_force_needed(provisioned):
    state = provisioned.parent
    _sale(provisioned)
    assert run_cli(provisioned, "close-batch").returncode == 0
    unconfirmed = run_cli(provisioned, "factory-reset", input="")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    done = run_cli(provisioned, "factory-reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert not any((state / name).exists() for name in SECRETS) and _no_payments_left(state)


def test_refused_while_a_payment_is_unresolved(sandbox, provisioned):
    from terminal.config import load_config
    from terminal.factory_reset import plan_reset
    from terminal.journal import Journal
    from terminal.records import Transaction, new_id, now_iso
    from terminal.states import TxState

    journal = Journal(provisioned.parent / "journal.sqlite")
    journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED, currency="USD",
                               amount_minor=100, order_ref="O-1", created_at=now_iso(), updated_at=now_iso()))
    journal.close()
    assert plan_reset(load_config(provisioned)).blockers == ["1 payment(s) not final"]
    proc = run_cli(provisioned, "factory-reset", "--yes")
    assert proc.returncode == 1 and "not final" in proc.stderr and "recover" in proc.stderr


def test_removes_old_receipts_and_says_the_acquirer_was_not_told(provisioned, tmp_path):
    """Receipts of the previous owner's customers go with the reset (a file printer inside the
    state directory, rotated copies too); the acquirer has no deregistration endpoint: said."""
    import json
    import tomllib

    import tomli_w

    state = provisioned.parent
    data = tomllib.loads(provisioned.read_text())
    data["printer"]["path"] = "receipts/receipts.txt"        # relative: inside the state directory
    provisioned.write_text(tomli_w.dumps(data))
    outside = tmp_path / "elsewhere" / "keep.txt"
    outside.parent.mkdir()
    outside.write_text("not the terminal's")
    proc = run_cli(provisioned, "sale", "--amount", "2.00", "--code", RAW_CODE)
    assert proc.returncode == 0, proc.stderr
    receipts = state / "receipts" / "receipts.txt"
    assert receipts.exists() and "2.00" in receipts.read_text()
    (state / "receipts" / "receipts.txt.1").write_text("an older receipt")
    assert run_cli(provisioned, "close-batch").returncode == 0
    done = run_cli(provisioned, "--json", "factory-reset", "--yes")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert str(receipts) in out["removed"] and not receipts.exists()
    assert not (state / "receipts" / "receipts.txt.1").exists() and outside.exists()
    assert out["acquirerDeregistered"] is False and "no deregistration endpoint" in out["acquirer"]
    assert data["acquirer"]["client_id"] in out["acquirer"]
