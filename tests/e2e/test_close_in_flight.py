"""Closing the app while a payment's answer is still on its way (issue #13 item 10).

The sandbox processes the pay (the customer is charged) and holds its answer on an event
(`hold_answer` fault). The real touchscreen app, in a child process, is closed as a cashier
closes it (warned, then closed again), then stopped as `pos-terminal run` stops it. Checked:
close returned while the answer was still held (it did not wait for the acquirer); the
process ended; the journal was left crash-safe (the payment not final, nothing half-written);
the next start resolved it by inquiry to what the acquirer did, with no second charge.

No timing assertion. The hold runs out after HOLD_S, shorter than the 15 s the old close
waited for the operation lock: a close that waits for the answer sees the hold run out before
it returns, and fails the "still held" check.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.demo_codes import code_for
from tests.support import acquirer_payment, assert_consistent, cli_env, cli_json, write_terminal_config

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]
HOLD_S = 12            # < the old close's 15 s wait on the operation lock
WAIT_S = 240           # bounds on waits for conditions (a loaded CI machine), never asserted

CHILD = r"""
import json, os, sys
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment, AppDriver
prepare_environment(maxfps=0)
os.environ["POS_TERMINAL_UI_CACHE"] = UI_CACHE
from drivers.scanners import VirtualScanner
from terminal.cli.cmd_app import AppServices
from terminal.config import load_config
from terminal.money import parse_amount
from ui.app import PosApp
config = load_config(CONFIG)
services = AppServices(config)
app = PosApp(loader=services.load, config=config, scanner=VirtualScanner(), demo=False, lang="en")
ui = AppDriver(app)
wait = dict(timeout_s=WAIT_S, max_frames=10**9)
app._run_prepare()
ui.idle_until(lambda: app.current_ready(), what="till ready", **wait)
sale = app.checkout.begin(parse_amount("6.40", "USD"))
app.checkout.scan(CODE)
ui.idle_until(lambda: app.current == "processing", what="processing screen", **wait)
print(json.dumps({"txId": sale.tx_id}), flush=True)
sys.stdin.readline()                      # the parent saw the acquirer hold the answer
warned = app._request_close()             # first close: the warning, the window stays
quits = not app._request_close()          # second close: quit
ui.stop()
services.close()                          # as `pos-terminal run` does after app.run()
print(json.dumps({"closed": True, "warned": warned, "quits": quits}), flush=True)
"""


def _json_line(stream) -> dict:
    for line in stream:
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("the child ended without its line")


def test_closing_during_a_payment_check_is_prompt_and_the_next_start_resolves_it(tmp_path, sandbox):
    config = write_terminal_config(tmp_path, sandbox, acquirer={"read_timeout_s": 60})
    sandbox.set_faults(kind="hold_answer", path="/v1/payments/pay", count=1, seconds=HOLD_S)
    script = (CHILD.replace("ROOT", repr(str(ROOT))).replace("UI_CACHE", repr(str(tmp_path / "ui-cache")))
              .replace("CONFIG", repr(str(config))).replace("CODE", repr(code_for("0000")))
              .replace("WAIT_S", str(WAIT_S)))
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        tx_id = _json_line(proc.stdout)["txId"]
        assert sandbox.wait_held(1, timeout_s=WAIT_S), "the pay never reached the acquirer"
        proc.stdin.write("close\n")
        proc.stdin.flush()
        closed = _json_line(proc.stdout)
        held = sandbox.held()
        # close returned while the acquirer still held the answer: it did not wait for it
        assert [h["held"] for h in held] == [True], held
        assert closed == {"closed": True, "warned": True, "quits": True}
        assert proc.wait(timeout=WAIT_S) == 0, proc.stderr.read()[-3000:]     # the process ended
    finally:
        if proc.poll() is None:
            proc.kill()
        sandbox.release_held()

    # The journal: the intent only (crash-safe), not final, nothing half-written.
    rc, listed = cli_json(config, "transactions", tx_id)
    assert rc == 0 and listed["state"] in ("CREATED", "SENT", "UNKNOWN", "INQUIRING"), listed
    paid = acquirer_payment(sandbox, listed["paymentRequestId"])
    assert paid is not None and paid["status"] == "SUCCESS"          # the customer was charged

    # The next start resolves it by inquiry: approved, as at the acquirer, and charged once.
    rc, _ = cli_json(config, "recover")
    assert rc == 0
    rc, after = cli_json(config, "transactions", tx_id)
    assert after["state"] == "APPROVED" and after["paymentId"] == paid["paymentId"], after
    rc, everything = cli_json(config, "transactions")
    assert [t["transactionId"] for t in everything["transactions"]] == [tx_id]   # no second pay
    assert_consistent(sandbox, everything["transactions"])
