"""The chaos engine behind bench/chaos.py (>= 200 runs) and tests/e2e/test_chaos.py (a few).

One run, on one fresh state directory registered with the sandbox acquirer, reproducible from
its seed: maybe an owner (the touchscreen app headless, or `pos-terminal control`) with sales
through its control API; CLI `sale` / `recover` / `cancel` / `refund` / `close-batch` started
at random moments beside it (each is handed to the owner, runs as the owner, or is refused);
one sandbox fault (a held pay delivered late after the terminal resolved the payment among
them); maybe a kill -9 of one of these processes at a random moment. Then everything stops,
faults are cleared, held requests are delivered, a final `recover` runs alone, and the run
is checked from both sides:

  mismatches        a journalled payment whose final state is not the acquirer's (or is not
                    final), or whose refunds differ
  approved_unpaid   an approval shown (receipt, CLI or API answer) for a payment the acquirer
                    has not captured, unless a void of it was asked for
  unknown_captures  a payment captured at the acquirer that the journal does not know of
"""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from terminal.demo_codes import code_for
from tests.crashkit import _receipt_mismatches
from tests.support import (
    ACQUIRER_STATUS_FOR,
    acquirer_payment,
    admin,
    build,
    cli_argv,
    cli_env,
    client_id_of,
    write_terminal_config,
)

SUFFIXES = ["0000", "0000", "0000", "0051", "0091", "0093", "0096", "0098"]
PAY = "/v1/payments/pay"
FAULTS: dict[str, list[dict]] = {
    "none": [],
    "late_delivery": [{"kind": "late_delivery", "path": PAY, "count": 1, "seconds": 4}],
    "late_success": [{"kind": "late_success"}],
    "drop_after": [{"kind": "drop_after", "path": PAY, "count": 1}],
    "http_503_after": [{"kind": "http_error", "status": 503, "phase": "after", "path": PAY, "count": 1}],
    "slow_inquiry": [{"kind": "delay", "seconds": 0.4, "path": "/v1/payments/inquiryPayment"}],
    "slow_pay": [{"kind": "delay", "seconds": 2.5, "path": PAY, "count": 1}],
    "bad_signature": [{"kind": "bad_signature", "count": 1}],
    "malformed_json": [{"kind": "malformed_json", "count": 1}],
    "inquiry_fail_form": [{"kind": "inquiry_fail_form"}],
}
FINAL = {"APPROVED", "DECLINED", "CANCELLED", "PARTIALLY_REFUNDED", "REFUNDED"}
CAPTURED = {"APPROVED", "PARTIALLY_REFUNDED", "REFUNDED"}
PROCESS_TIMEOUT_S = 60
TOP_UP_S = 180     # run_once(min_payments=): how long more sales may be started to reach the count


@dataclass
class RunResult:
    seed: int
    owner: str
    fault: str
    actions: list[str]
    killed: str = ""
    exits: dict[str, int] = field(default_factory=dict)
    handed_over: int = 0
    refused_busy: int = 0
    mismatches: list[str] = field(default_factory=list)
    approved_unpaid: list[str] = field(default_factory=list)
    unknown_captures: list[str] = field(default_factory=list)
    payments: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.approved_unpaid or self.unknown_captures)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A `pos-terminal` process of a run: a fork-server child or a subprocess, output in files."""

    def __init__(self, handle, out: Path, err: Path):
        self.handle, self.out, self.err = handle, out, err
        self.pid = handle.pid

    def poll(self) -> int | None:
        return self.handle.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.handle.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def finish(self, timeout: float = PROCESS_TIMEOUT_S, *, term: bool = False) -> tuple[int, str, str]:
        if term and self.poll() is None:
            self.signal(signal.SIGTERM)
        if self.wait(timeout) is None:
            self.signal(signal.SIGKILL)
            self.wait(30)
        return (self.poll() if self.poll() is not None else -9, self.out.read_text(errors="replace"),
                self.err.read_text(errors="replace"))


class Launcher:
    """Starts the run's processes through a fork server (bench: no interpreter start-up per
    process) or as plain subprocesses (tests)."""

    def __init__(self, workdir: Path, server=None):
        self.workdir, self.server, self.n = workdir, server, 0

    def start(self, config: Path, *args: str, env: dict | None = None) -> Proc:
        self.n += 1
        out, err = self.workdir / f"p{self.n}.out", self.workdir / f"p{self.n}.err"
        argv = ["--config", str(config), *args]
        out.touch()    # a child killed before it opens its output still leaves (empty) output
        err.touch()
        if self.server is not None and not (env and "SDL_VIDEODRIVER" in env):
            return Proc(self.server.spawn(argv, cli_env(env), out, err), out, err)
        with open(out, "w") as o, open(err, "w") as e:
            handle = subprocess.Popen(cli_argv(None, *argv), stdout=o, stderr=e,
                                      stdin=subprocess.DEVNULL, env=cli_env(env))
        return Proc(handle, out, err)


def _start_control(launcher: Launcher, config: Path) -> tuple[Proc, str, str]:
    proc = launcher.start(config, "--json", "control", "--port", "0")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        text = proc.out.read_text(errors="replace")
        if text.endswith("\n"):
            ready = json.loads(text.splitlines()[0])
            return proc, ready["url"], Path(ready["tokenFile"]).read_text().strip()
        time.sleep(0.05)   # polling a condition with a bound
    code, _out, err = proc.finish(5)
    raise RuntimeError(f"pos-terminal control did not start (exit {code}): {err[-500:]}")


def _start_app(launcher: Launcher, config: Path, port: int, home: Path) -> tuple[Proc, str, str]:
    """`pos-terminal run` offscreen with the control API on the app's checkout (headless app)."""
    env = {"SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1", "KIVY_NO_CONFIG": "1", "KIVY_NO_FILELOG": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": str(home)}
    proc = launcher.start(config, "run", env=env)
    url = f"http://127.0.0.1:{port}"
    token_file = Path(config).parent / "state" / "control_token"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if token_file.exists():
            try:
                if requests.get(url + "/v1/status", timeout=1).status_code < 500:
                    return proc, url, token_file.read_text().strip()
            except requests.RequestException:
                pass
        time.sleep(0.1)   # polling a condition with a bound
    code, _out, err = proc.finish(10, term=True)
    raise RuntimeError(f"the app did not start (exit {code}): {err[-500:]}")


def _owner_sale(url: str, token: str, suffix: str, shown: list[tuple[str, str]], lock: threading.Lock) -> None:
    from terminal.control.client import TerminalClient

    try:
        client = TerminalClient(url, token, timeout=60)
        tx = client.sale("6.40")
        client.scan(code_for(suffix))
        done = client.wait(tx, timeout=60)
        if done.state in CAPTURED:
            with lock:
                shown.append((done.id, f"API {done.state}"))
    except Exception:  # noqa: BLE001 - the owner may be killed under us: that is the point
        return         # nothing was shown to anyone; the final checks judge the payment


def _sale_args(rng: random.Random) -> list[str]:
    return ["sale", "--amount", f"{rng.randint(100, 5000) / 100:.2f}", "--code", code_for(rng.choice(SUFFIXES))]


def _collect(result: RunResult, name: str, proc: Proc, shown: list[tuple[str, str]]) -> None:
    """Waits for one CLI process of the run and notes its exit and any approval it showed."""
    code, out, err = proc.finish()
    result.exits[f"{name}:{code}"] = result.exits.get(f"{name}:{code}", 0) + 1
    result.handed_over += "handed to the running terminal" in err
    result.refused_busy += code == 3 and "in use by" in err
    if code == 0 and name in ("sale", "refund") and out.strip():
        try:
            answer = json.loads(out)
        except ValueError:
            answer = {}
        if answer.get("state") in CAPTURED:
            shown.append((answer["transactionId"], f"CLI {name} {answer['state']}"))


def _journal_row(state: Path, query: str) -> tuple | None:
    """One row from the run's journal, read-only while its processes may write (None: no journal yet)."""
    import sqlite3

    path = state / "journal.sqlite"
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(query).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()


def _approved_tx(state: Path) -> str | None:
    row = _journal_row(state, "SELECT id FROM transactions WHERE state='APPROVED' ORDER BY rowid DESC")
    return row[0] if row else None


def _journal_count(state: Path) -> int:
    row = _journal_row(state, "SELECT count(*) FROM transactions")
    return row[0] if row else 0


def run_once(seed: int, sandbox, workdir: Path, *, allow_app: bool = True, server=None,
             min_payments: int = 0) -> RunResult:
    """One seeded run. With ``min_payments``, the run goes on with more CLI sales (beside the owner,
    under the fault) until the journal holds that many payments, the set-up sale included, or
    TOP_UP_S passes: on a slow machine the kill -9 can land before any sale of the run is
    journalled, and a run with nothing but its set-up sale checks nothing concurrent. The count
    is in ``payments``: a caller asserts it, so a run that never journals a sale still fails."""
    rng = random.Random(seed)
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    launcher = Launcher(workdir, server)
    owners = ["control"] * 4 + ["none"] * 3 + (["app"] if allow_app else [])
    owner = rng.choice(owners)
    fault = rng.choice(list(FAULTS))
    port = _free_port()
    config = write_terminal_config(workdir, sandbox, control={"enabled": True, "port": port},
                                   acquirer={"inquiry_interval_s": rng.choice([0.05, 0.2]),
                                             "inquiry_window_s": rng.choice([1.0, 3.0]),
                                             "read_timeout_s": rng.choice([1.5, 4.0])})
    state = workdir / "state"
    client_id = client_id_of(config)
    pin = workdir / "pin"
    pin.write_text("2468")
    sandbox.reset_faults()
    # One approved payment first (in this process: quick), so a void or refund has something to act on.
    terminal = build(config)
    try:
        first = terminal.sale(terminal.parse_amount("9.00"), code_for("0000"))
    finally:
        terminal.close()
    shown: list[tuple[str, str]] = [(first.id, "set-up APPROVED")] if first.captured else []
    voided: set[str] = set()
    shown_lock = threading.Lock()
    owner_proc = None
    url = token = ""
    result = RunResult(seed, owner, fault, [])
    procs: list[tuple[str, Proc]] = []
    threads: list[threading.Thread] = []
    try:
        if owner == "control":
            owner_proc, url, token = _start_control(launcher, config)
        elif owner == "app":
            owner_proc, url, token = _start_app(launcher, config, port, workdir / "kivy")
        if FAULTS[fault]:
            sandbox.set_faults(FAULTS[fault])
        actions = ["sale"] + [rng.choice(["sale", "sale", "recover", "cancel", "refund", "close-batch"])
                              for _ in range(rng.randint(1, 3))]
        if owner_proc is not None:
            actions.insert(rng.randint(0, len(actions)), "owner-sale")
        kill_at = rng.uniform(0.2, 3.0) if rng.random() < 0.5 else None
        t0 = time.monotonic()
        for action in actions:
            time.sleep(rng.uniform(0.0, 0.8))   # random moments are the point of a chaos run
            if action == "owner-sale":
                th = threading.Thread(target=_owner_sale, args=(url, token, rng.choice(SUFFIXES), shown, shown_lock),
                                      daemon=True)
                th.start()
                threads.append(th)
                result.actions.append(action)
                continue
            args: list[str]
            if action in ("cancel", "refund"):
                tx_id = _approved_tx(state)
                if tx_id is None:
                    action = "sale"
                elif action == "cancel":
                    args = ["cancel", tx_id]
                    voided.add(tx_id)
                else:
                    args = ["refund", tx_id, "--amount", "1.00", "--pin-file", str(pin)]
            if action == "sale":
                args = _sale_args(rng)
            elif action in ("recover", "close-batch"):
                args = [action]
            procs.append((action, launcher.start(config, "--json", *args)))
            result.actions.append(action)
        if kill_at is not None:
            victims = [("owner", owner_proc)] if owner_proc is not None else []
            victims += [(name, p) for name, p in procs]
            name, victim = rng.choice(victims)
            delay = kill_at - (time.monotonic() - t0)
            if delay > 0:
                time.sleep(delay)
            if victim.poll() is None:
                victim.signal(signal.SIGKILL)
                result.killed = name
        for name, proc in procs:
            _collect(result, name, proc, shown)
        for th in threads:
            th.join(timeout=PROCESS_TIMEOUT_S)
        top_up_until = time.monotonic() + TOP_UP_S
        while _journal_count(state) < min_payments and time.monotonic() < top_up_until:
            proc = launcher.start(config, "--json", *_sale_args(rng))
            procs.append(("sale", proc))
            result.actions.append("sale+")
            _collect(result, "sale", proc, shown)
    finally:
        for name, proc in procs:
            if proc.poll() is None:
                proc.finish(0)
        if owner_proc is not None:
            owner_proc.finish(30, term=True)
        sandbox.reset_faults()
    _wait_late_deliveries(sandbox)
    terminal = build(config)          # the final recover, alone (in this process: quick)
    try:
        terminal.recover()
        left = any(terminal.pending())
    finally:
        terminal.close()
    if left:
        result.mismatches.append(f"still unresolved after the final recover: {[x.id for x in left]}")
    _check(result, sandbox, config, client_id, workdir, shown, voided)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def _wait_late_deliveries(sandbox, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        held = [d for d in admin(sandbox, "GET", "/late-deliveries")["lateDeliveries"] if not d.get("delivered")]
        if not held:
            return
        time.sleep(0.1)   # polling a condition with a bound


def _check(result: RunResult, sandbox, config: Path, client_id: str, workdir: Path,
           shown: list[tuple[str, str]], voided: set[str]) -> None:
    from terminal.journal import Journal

    journal = Journal(workdir / "state" / "journal.sqlite")
    try:
        txs = [t.to_api() for t in journal.transactions(limit=1000)]
    finally:
        journal.close()
    result.payments = len(txs)
    by_id = {t["transactionId"]: t for t in txs}
    for tx in txs:
        record = acquirer_payment(sandbox, tx["paymentRequestId"])
        status = record["status"] if record else None
        if tx["state"] not in FINAL:
            result.mismatches.append(f"{tx['transactionId']} left {tx['state']}")
        elif status not in ACQUIRER_STATUS_FOR[tx["state"]]:
            result.mismatches.append(f"{tx['transactionId']} terminal {tx['state']}, acquirer {status}")
        elif status == "SUCCESS":
            refunded = sum(int(r["amount"]["value"]) for r in tx["refunds"] if r["state"] == "SUCCESS")
            if int((record["refundedAmount"] or {"value": "0"})["value"]) != refunded:
                result.mismatches.append(f"{tx['transactionId']} refunds differ")
        if any(r["state"] == "PENDING" for r in tx["refunds"]):
            result.mismatches.append(f"{tx['transactionId']} has a pending refund")
    result.approved_unpaid += _receipt_mismatches(workdir, txs, sandbox)
    for tx_id, how in shown:
        tx = by_id.get(tx_id)
        record = acquirer_payment(sandbox, tx["paymentRequestId"]) if tx else None
        if (record is None or record["status"] != "SUCCESS") and tx_id not in voided:
            result.approved_unpaid.append(f"{how} for {tx_id}, acquirer {record and record['status']}")
    known = {t["paymentRequestId"] for t in txs}
    for payment in admin(sandbox, "GET", f"/payments?client_id={client_id}")["payments"]:
        if payment["status"] == "SUCCESS" and payment["paymentRequestId"] not in known:
            result.unknown_captures.append(payment["paymentRequestId"])


def summarise(results: list[RunResult]) -> dict:
    return {
        "runs": len(results),
        "owners": {k: sum(r.owner == k for r in results) for k in ("app", "control", "none")},
        "killed": sum(bool(r.killed) for r in results),
        "faults": {k: sum(r.fault == k for r in results) for k in FAULTS},
        "payments": sum(r.payments for r in results),
        "cliProcesses": sum(len([a for a in r.actions if a != "owner-sale"]) for r in results),
        "handedOver": sum(r.handed_over for r in results),
        "refusedBusy": sum(r.refused_busy for r in results),
        "mismatches": sum(len(r.mismatches) for r in results),
        "approvedUnpaid": sum(len(r.approved_unpaid) for r in results),
        "unknownCaptures": sum(len(r.unknown_captures) for r in results),
        "failed": [{"seed": r.seed, "owner": r.owner, "fault": r.fault, "actions": r.actions, "killed": r.killed,
                    "mismatches": r.mismatches, "approvedUnpaid": r.approved_unpaid,
                    "unknownCaptures": r.unknown_captures} for r in results if not r.ok],
    }


if __name__ == "__main__":   # pragma: no cover
    print(json.dumps(sorted(FAULTS)), file=sys.stderr)
