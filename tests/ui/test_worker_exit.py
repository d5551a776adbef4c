"""The UI worker never keeps a closed app's process alive (issue #13 item 10): a job blocked
on the acquirer (here, on an event nobody sets) must not stop the interpreter from exiting.
ThreadPoolExecutor joins its threads at exit, so the process used to live on until the
request's read timeout. In a child process: the parent's interpreter is not the one tested."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys, threading
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment
prepare_environment(maxfps=0)
from ui.worker import Worker
worker = Worker()
never = threading.Event()
started = threading.Event()
worker.run(lambda: (started.set(), never.wait()))
started.wait(60)
queued = worker.run(lambda: None)   # behind nothing: a second thread takes it, or shutdown cancels it
worker.shutdown()
print("shut down", flush=True)
"""


def test_a_job_in_flight_does_not_keep_the_process_alive(tmp_path):
    script = CHILD.replace("ROOT", repr(str(ROOT)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path)
    assert proc.returncode == 0 and "shut down" in proc.stdout, proc.stderr[-2000:]


def test_results_and_errors_come_back_through_futures():
    from ui.worker import DaemonPool

    pool = DaemonPool(max_workers=2, name="t")
    try:
        assert pool.submit(lambda: 41 + 1).result(timeout=30) == 42
        failing = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=30)
    finally:
        pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
