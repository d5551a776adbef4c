"""`pos-terminal run` start-up: the keypad in the first frame, Charge once the terminal is
built (the amount can be typed before), and a clear message (not a traceback) when the
terminal cannot start. Runs in a child process:
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
import json, os, sys, threading
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
shown = config
if CHANGED:     # the app opens on one configuration; the terminal starts on another (fleet)
    shown = parse_config({**data, "terminal": {**data["terminal"], "currency": "CAD"}})
first_roots = []
def first_frame(*_a):
    if not first_roots:
        sale = app.screens.built("sale") if type(app.root).__name__ == "PosRoot" else None
        first_roots.append((type(app.root).__name__, sale and sale.ids.charge_btn.disabled,
                            sale and sale.ids.charge_btn.text))
Window.bind(on_flip=first_frame)
gate = threading.Event()          # the terminal is built only once the test has typed an amount
def load():
    assert gate.wait(START_WAIT_S)
    if FAIL:
        raise FaultError("acquirer.client_id is not set: provision the terminal")
    return services.load()
app = PosApp(loader=load, config=shown, scanner=VirtualScanner(), demo=True, lang="en")
ui = AppDriver(app)
wait = dict(timeout_s=START_WAIT_S, max_frames=10**9)   # bounded by time: frames are fast when idle
app._run_prepare()
ui.idle_until(lambda: bool(first_roots), what="first frame", **wait)
out = {"first": first_roots[0]}
if not FAIL:
    sale = app.screens["sale"]
    for key in "400":
        sale.keypad.press(key)
    ui.frames(2)
    sale.charge()                 # a tap that reaches charge() anyway: nothing starts
    ui.frames(2)
    out["before"] = {"disabled": sale.ids.charge_btn.disabled, "text": sale.ids.charge_btn.text,
                     "history": app.screens["sale"].ids.history_btn.disabled, "screen": app.current,
                     "checkout": app.terminal_ready, "currency": sale.currency}
gate.set()
if FAIL:
    ui.idle_until(lambda: hasattr(app, "load_error"), what="load error shown", **wait)
    ui.frames(2)
    out.update({"text": app.root.text, "wrap": app.root.text_size[0],
                "window": Window.width, "lines_fit": app.root.texture_size[0] <= Window.width})
else:
    ui.idle_until(lambda: app.current_ready(), what="till ready", **wait)
    ui.frames(2)
    sale = app.screens["sale"]
    out.update({"screen": app.current, "root": type(app.root).__name__, "currency": sale.currency,
                "after": {"disabled": sale.ids.charge_btn.disabled, "text": sale.ids.charge_btn.text}})
    if not CHANGED:
        ui.tap(sale.ids.charge_btn)       # the amount typed while the terminal was starting
        ui.idle_until(lambda: app.screens["scan"].ready, what="checkout awaiting the typed sale's scan", **wait)
        out["typed_sale"] = app.checkout.pending.total.minor
        app.checkout.cancel()
        ui.screen("sale")
        ui.settle()
    # A cash register starts a sale through the control API: the touchscreen follows it.
    from terminal.control.client import TerminalClient
    token = services.terminals[0].upkeep.control_token(create=False)
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


def run_child(tmp_path, fail: bool, changed: bool = False) -> dict:
    script = (CHILD.replace("ROOT", repr(str(ROOT))).replace("= STATE", f"= {str(tmp_path / 'state')!r}")
              .replace("FAIL", str(fail)).replace("CHANGED", str(changed))
              .replace("START_WAIT_S", str(START_WAIT_S)))
    proc = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=2 * START_WAIT_S + 60)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1])


def test_keypad_first_charge_once_the_terminal_is_built_then_a_control_api_sale_on_screen(tmp_path):
    out = run_child(tmp_path, fail=False)
    root, charge_disabled, charge_text = out["first"]
    assert root == "PosRoot" and charge_disabled and charge_text == "Starting the terminal…"   # the first frame
    # Typed while the terminal was starting: kept, but nothing could start and nothing was sent.
    assert out["before"] == {"disabled": True, "text": "Starting the terminal…", "history": True,
                             "screen": "sale", "checkout": False, "currency": "USD"}
    assert out["root"] == "PosRoot" and out["screen"] == "sale"
    assert out["after"] == {"disabled": False, "text": "Charge $4.00"}
    assert out["typed_sale"] == 400
    assert out["after_api_sale"] == "scan" and out["api_result"] == "APPROVED"   # control API in the app


def test_a_terminal_started_on_another_configuration_rebuilds_the_sale_screen(tmp_path):
    """The till opened on CAD, the terminal came up on USD (a fleet change applied at this
    start): the amount typed in the old currency is gone, the screen charges in the new one."""
    out = run_child(tmp_path, fail=False, changed=True)
    assert out["before"]["currency"] == "CAD"
    assert out["currency"] == "USD" and out["after"] == {"disabled": True, "text": "Charge $0.00"}


def test_a_terminal_that_cannot_start_says_what_to_do(tmp_path):
    out = run_child(tmp_path, fail=True)
    assert out["first"][0] == "PosRoot"     # the keypad first; then what happened
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
