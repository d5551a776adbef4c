"""Helpers for tests (and bench/chaos.py) that run several `pos-terminal` processes on one state
directory: a `control` owner started in a subprocess, CLI commands beside it, and bounded waits
on the sandbox acquirer's view of a payment (never a bare sleep)."""
from __future__ import annotations

import json
import selectors
import subprocess
import time
from pathlib import Path

from tests.support import admin, popen_cli


def start_control(config: Path, *, env: dict | None = None, timeout_s: float = 60) -> tuple[subprocess.Popen, str, str]:
    """`pos-terminal control --port 0` as the owner; returns (process, url, token) once ready."""
    proc = popen_cli(config, "--json", "control", "--port", "0", env=env)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if line:
                ready = json.loads(line)
                return proc, ready["url"], Path(ready["tokenFile"]).read_text().strip()
        if proc.poll() is not None:
            break
    proc.kill()
    _out, err = proc.communicate()
    raise AssertionError(f"pos-terminal control did not start: {err}")


def stop(proc: subprocess.Popen, *, timeout_s: float = 30) -> tuple[str, str]:
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def wait_for_acquirer_payment(sandbox, client_id: str, *, count: int = 1, timeout_s: float = 30) -> list[dict]:
    """Until the sandbox has `count` payments of this client (the pay request has arrived)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        payments = admin(sandbox, "GET", f"/payments?client_id={client_id}")["payments"]
        if len(payments) >= count:
            return payments
        time.sleep(0.02)   # polling a condition with a bound
    raise AssertionError(f"the acquirer never saw {count} payment(s) of {client_id}")


def wait_for_journal_state(state_dir: Path, states: set[str], *, timeout_s: float = 30) -> dict:
    """Until a transaction of the journal is in one of `states` (read-only peek)."""
    import sqlite3

    deadline = time.monotonic() + timeout_s
    path = Path(state_dir) / "journal.sqlite"
    while time.monotonic() < deadline:
        if path.exists():
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                marks = ",".join("?" * len(states))
                row = db.execute(f"SELECT id, state FROM transactions WHERE state IN ({marks})",
                                 tuple(states)).fetchone()
            except sqlite3.OperationalError:
                row = None
            finally:
                db.close()
            if row:
                return {"id": row[0], "state": row[1]}
        time.sleep(0.02)
    raise AssertionError(f"no transaction reached {states}")
