"""A raw payment code never reaches a log: sales at -vv, then every log file and stderr searched;
the masking filter as the last line of defence; the support bundle carries no secrets."""
from __future__ import annotations

import io
import logging
import tarfile

from terminal.logs import (
    JsonFormatter,
    MaskingFilter,
    add_file_fallback,
    mask_digit_runs,
)
from tests.support import files_under, run_cli
from tests.technician.conftest import RAW_CODE

DECLINED_CODE = "281012345678900051"
UNKNOWN_CODE = "281012345678900091"


def test_sales_at_debug_leave_no_raw_code_anywhere(provisioned, tmp_path):
    outputs = []
    for code in (RAW_CODE, DECLINED_CODE, UNKNOWN_CODE):
        proc = run_cli(provisioned, "-vv", "sale", "--amount", "3.00", "--code", code)
        assert proc.returncode in (0, 1), proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    bad = run_cli(provisioned, "-vv", "sale", "--amount", "3.00", "--code", "2810123456789000000000000")
    outputs.append(bad.stdout + bad.stderr)
    log_file = provisioned.parent / "logs" / "terminal.log"
    assert log_file.exists() and log_file.stat().st_size > 0      # -vv wrote to the rotating file
    texts = outputs + [p.read_bytes().decode("utf-8", "replace") for p in files_under(provisioned.parent)]
    for code in (RAW_CODE, DECLINED_CODE, UNKNOWN_CODE, "2810123456789000000000000"):
        assert not any(code in t for t in texts), code


def test_filter_masks_message_args_extras_and_exceptions():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    log = logging.getLogger("test.masking")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("code %s scanned", RAW_CODE, extra={"scanned": f"x{RAW_CODE}y"})
        try:
            raise ValueError(f"bad code {RAW_CODE}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert RAW_CODE not in out
    assert "281012**********00" in out
    assert mask_digit_runs("id 123456789012345 kept; 1234567890123456789012345 too long") == \
        "id 123456789012345 kept; 1234567890123456789012345 too long"


def test_file_fallback_rotates_and_is_private(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = add_file_fallback(tmp_path)
        assert add_file_fallback(tmp_path) == path               # once per process
        assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers) == \
            sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in before) + 1
        root.warning("payment code %s", RAW_CODE)
        for h in root.handlers:
            h.flush()
        text = path.read_text()
        assert "281012**********00" in text and RAW_CODE not in text
        assert path.stat().st_mode & 0o077 == 0
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()


def test_export_logs_bundle(provisioned, tmp_path):
    logs = provisioned.parent / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "terminal.log.1").write_text(f'{{"msg": "leaked {RAW_CODE}"}}\n')   # as if a bug had logged it
    out = tmp_path / "bundle.tar.gz"
    proc = run_cli(provisioned, "export-logs", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(out) as tar:
        names = tar.getnames()
        texts = {n: tar.extractfile(n).read().decode() for n in names}
    assert any(n.endswith("diagnose.json") for n in names) and any(n.endswith("config.toml") for n in names)
    assert any(n.endswith("logs/terminal.log.1") for n in names)
    secrets = [(provisioned.parent / n).read_text() for n in ("control_token",)]
    secrets.append((provisioned.parent / "terminal_key.pem").read_text().splitlines()[1])
    for name, text in texts.items():
        assert RAW_CODE not in text, name
        assert not any(s in text for s in secrets), name
        assert "PRIVATE KEY" not in text and '"hash"' not in text, name
    assert not any(n.endswith((".pem", "_pin.json", "control_token", ".key", ".sqlite")) for n in names)


def _json_lines(text: str) -> list[dict]:
    import json

    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_a_sale_is_one_json_line_at_info_in_the_journal_and_the_file(provisioned):
    """The bug: a verbose sale wrote 0 lines. Under systemd (JOURNAL_STREAM: stderr is the journal)
    a sale and a void are each an INFO JSON line with the masked code, never the raw one."""
    import json

    proc = run_cli(provisioned, "--json", "sale", "--amount", "4.20", "--code", RAW_CODE,
                   env={"JOURNAL_STREAM": "8:12345"})
    assert proc.returncode == 0, proc.stderr
    tx = json.loads(proc.stdout)
    void = run_cli(provisioned, "cancel", tx["transactionId"], env={"JOURNAL_STREAM": "8:12345"})
    assert void.returncode == 0, void.stderr
    journal_lines = _json_lines(proc.stderr) + _json_lines(void.stderr)
    file_lines = _json_lines((provisioned.parent / "logs" / "terminal.log").read_text())
    for lines in (journal_lines, file_lines):
        sale = [r for r in lines if r.get("op") == "sale"]
        assert len(sale) == 1, lines
        assert sale[0]["level"] == "info" and sale[0]["txId"] == tx["transactionId"]
        assert sale[0]["state"] == "APPROVED" and sale[0]["maskedCode"] == tx["maskedCode"]
        assert sale[0]["amount"] == tx["amount"]            # the API's money shape
        assert [r["state"] for r in lines if r.get("op") == "void"] == ["CANCELLED"]
    everything = proc.stdout + proc.stderr + void.stdout + void.stderr + "".join(
        p.read_bytes().decode("utf-8", "replace") for p in files_under(provisioned.parent))
    assert RAW_CODE not in everything


def test_a_shell_run_stays_quiet_on_stderr(provisioned):
    proc = run_cli(provisioned, "sale", "--amount", "1.00", "--code", RAW_CODE, env={"JOURNAL_STREAM": ""})
    assert proc.returncode == 0 and not _json_lines(proc.stderr)


def test_export_logs_has_the_operations_and_the_audit_trail(provisioned, tmp_path):
    from terminal.audit import AuditTrail
    from terminal.journal import Journal

    assert run_cli(provisioned, "sale", "--amount", "2.00", "--code", RAW_CODE).returncode == 0
    journal = Journal(provisioned.parent / "journal.sqlite")
    AuditTrail(journal).record("technician", "rotate_key", keyVersion=2)
    journal.close()
    out = tmp_path / "bundle.tar.gz"
    proc = run_cli(provisioned, "export-logs", "--output", str(out), "--no-network")
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(out) as tar:
        names = tar.getnames()
        log_name = next(n for n in names if n.endswith("logs/terminal.log"))
        audit_name = next(n for n in names if n.endswith("audit.json"))
        log_text = tar.extractfile(log_name).read().decode()
        audit_text = tar.extractfile(audit_name).read().decode()
    assert any(r.get("op") == "sale" for r in _json_lines(log_text))
    import json

    assert [(e["actor"], e["action"]) for e in json.loads(audit_text)][:1] == [("technician", "rotate_key")]
    assert RAW_CODE not in log_text + audit_text
