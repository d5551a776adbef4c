"""The command line imports per command: `--help` and `transactions` must not pull in the
payment stack (HTTP client, JWE, pydantic, the sandbox's web framework), which is what made
them slow to start on a Raspberry Pi. Checked in a fresh interpreter: behaviour, not time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["requests", "jwcrypto", "pydantic", "fastapi", "uvicorn", "starlette", "cryptography",
         "kivy", "cv2", "numpy"]

PROBE = """
import json, sys
from terminal.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = {heavy!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
print("\\nPROBE " + json.dumps({{"code": code, "loaded": loaded}}))
"""


def probe(*argv: str, state_dir: Path) -> tuple[dict, str]:
    env = {**os.environ, "POS_TERMINAL_STATE_DIR": str(state_dir)}
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    out, _, tail = proc.stdout.rpartition("\nPROBE ")
    assert tail, proc.stdout + proc.stderr
    return json.loads(tail), out


def test_help_imports_no_payment_stack(tmp_path):
    result, out = probe("--help", state_dir=tmp_path)
    assert result["code"] == 0
    assert "transactions" in out and "scan-test" in out   # every command is still listed
    assert result["loaded"] == []


def test_subcommand_help_imports_no_payment_stack(tmp_path):
    result, out = probe("sale", "--help", state_dir=tmp_path)
    assert result["code"] == 0 and "--amount" in out
    assert result["loaded"] == []


def test_transactions_lists_the_journal_without_the_payment_stack(tmp_path):
    from terminal.journal import Journal
    from terminal.records import Transaction, new_id
    from terminal.states import TxState

    journal = Journal(tmp_path / "journal.sqlite")
    tx = journal.create(Transaction(id=new_id("T"), payment_request_id=new_id("PR"), state=TxState.CREATED,
                                    currency="USD", amount_minor=1250, order_ref="o"))
    journal.close()
    result, out = probe("--json", "transactions", state_dir=tmp_path)
    assert result["code"] == 0
    listed = json.loads(out)["transactions"]
    assert [t["transactionId"] for t in listed] == [tx.id]
    assert not {"requests", "jwcrypto", "fastapi", "uvicorn", "kivy", "cv2"} & {
        m.split(".")[0] for m in result["loaded"]}


def test_transactions_of_an_unknown_id_says_how_to_list(tmp_path):
    result, _ = probe("transactions", "T-nope", state_dir=tmp_path)
    assert result["code"] == 2
