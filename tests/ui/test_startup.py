"""`pos-terminal run` start-up: a first frame at once, the till once the terminal is built,
and a clear message (not a traceback) when the terminal cannot start. Runs in a child process:
Kivy's Window is process-wide and the session's app already owns it.

The child's waits are bounded by START_WAIT_S, not the driver's 30 s default: on a loaded CI
machine (2 cores, several suites at once) building the till took 44 s, the wait gave up, and
the Timeout's traceback vanished into Kivy's stderr redirection (exit 1, nothing printed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]
START_WAIT_S = 240

CHILD = r"""
import json, os, sys
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment, AppDriver
prepare_environment(maxfps=0)
os.environ["POS_TERMINAL_STATE_DIR"] = STATE
os.environ["POS_TERMINAL_UI_CACHE"] = STATE + "-ui"
from kivy.core.window import Window
from drivers.scanners import VirtualScanner
from terminal.cli.cmd_app import AppServices
from terminal.config import load_config
from terminal.errors import FaultError
from ui.app import PosApp
data = load_config().model_dump(mode="json")
data["control"].update(enabled=True, port=0)      # as `pos-terminal run` with control.enabled
from terminal.config import parse_config
config = parse_config(data)
services = AppServices(config)
first_roots = []
Window.bind(on_flip=lambda *_: first_roots or first_roots.append(type(app.root).__name__))
def load():
    if FAIL:
        raise FaultError("acquirer.client_id is not set: provision the terminal")
    return services.load()
app = PosApp(loader=load, config=config, scanner=VirtualScanner(), demo=True, lang="en")
ui = AppDriver(app)
wait = dict(timeout_s=START_WAIT_S, max_frames=10**9)   # bounded by time: frames are fast when idle
app._run_prepare()
if FAIL:
    ui.idle_until(lambda: hasattr(app, "load_error"), what="load error shown", **wait)
    ui.frames(2)
    out = {"first": first_roots[0], "text": app.root.text, "wrap": app.root.text_size[0],
           "window": Window.width, "lines_fit": app.root.texture_size[0] <= Window.width}
else:
    ui.idle_until(lambda: app.current_ready(), what="till ready", **wait)
    out = {"first": first_roots[0], "screen": app.current, "root": type(app.root).__name__}
    # A cash register starts a sale through the control API: the touchscreen follows it.
    from terminal.control.client import TerminalClient
    token = services.terminals[0].keystore.control_token(create=False)
    api = TerminalClient(services.control_url, token)
    started = api.sale("4.00")
    ui.idle_until(lambda: app.current == "scan", what="scan screen after an API sale", **wait)
    out["after_api_sale"] = app.current
    api.scan("281012345678900000")
    ui.idle_until(lambda: app.current == "result", what="result screen", **wait)
    out["api_result"] = api.wait(started).state
print(json.dumps(out))
ui.stop()
services.close()
"""


def run_child(tmp_path, fail: bool) -> dict:
    script = (CHILD.replace("ROOT", repr(str(ROOT))).replace("= STATE", f"= {str(tmp_path / 'state')!r}")
              .replace("FAIL", str(fail)).replace("START_WAIT_S", str(START_WAIT_S)))
    proc = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=2 * START_WAIT_S + 60)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1])


def test_first_frame_then_till_then_a_control_api_sale_on_screen(tmp_path):
    out = run_child(tmp_path, fail=False)
    assert out["first"] == "Label"          # the "starting" frame
    assert out["root"] == "PosRoot" and out["screen"] == "sale"
    assert out["after_api_sale"] == "scan" and out["api_result"] == "APPROVED"   # control API in the app


def test_a_terminal_that_cannot_start_says_what_to_do(tmp_path):
    out = run_child(tmp_path, fail=True)
    assert "provision the terminal" in out["text"] and "Traceback" not in out["text"]
    assert "Call a technician" in out["text"]
    assert 0 < out["wrap"] < out["window"] and out["lines_fit"]        # wrapped, not clipped


def test_the_cannot_start_text_is_in_the_tills_language(ui):
    from terminal.errors import FaultError

    app = ui.app
    app._lang_arg = "fr_CA"
    try:
        text = app.cannot_start_text(FaultError("acquirer.client_id is not set: provision the terminal"))
    finally:
        app._lang_arg = "en"
        app.set_language("en")
    assert text.startswith("Le terminal ne peut pas démarrer.") and "provision the terminal" in text


def test_a_failing_headless_child_says_why_on_stderr(tmp_path):
    """A child that fails after Kivy is imported must leave its traceback on stderr (it used to
    exit 1 with stderr empty, which made a slow start look like a mystery)."""
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
              "from ui.headless import prepare_environment\n"
              "prepare_environment(maxfps=0)\n"
              "from kivy.core.window import Window\n"
              "raise RuntimeError('the till did not come up')\n")
    proc = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "KIVY_LOG_MODE"})
    assert proc.returncode == 1
    assert "RuntimeError: the till did not come up" in proc.stderr
