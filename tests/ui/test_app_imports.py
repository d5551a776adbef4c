"""What `pos-terminal run` loads on a provisioned (production) terminal: no server framework, no
camera stack unless the camera scanner is configured, no fleet or control API unless enabled,
and only the screens the till needs before a sale. Each of these cost start-up time and RSS on
a Raspberry Pi. Checked through the real composition root (terminal/cli/cmd_app.run_app) in a
fresh interpreter, once the till is idle and can charge: behaviour, not time."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import write_terminal_config

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]
START_WAIT_S = 240
# (sandbox.standalone, a few argparse options of the `sandbox` command, comes with the CLI parser.)
NOT_NEEDED = ["fastapi", "uvicorn", "starlette", "anyio", "httpx", "h11", "httptools", "sandbox.embedded", "sandbox.server",
              "sandbox.app", "cv2", "numpy", "pyzbar", "zxingcpp", "paho", "terminal.control", "terminal.fleet",
              # Kivy's Pillow image provider (ui/process_settings.py) and Babel's locale data
              # (terminal/locale_formats.py): about 6 MB resident between them
              "PIL", "babel"]
# Opened a few times a day, built on first use (ui/screen_book.py): not imported at start.
LATER_SCREENS = ["history", "detail", "refund", "pin", "batch", "lock", "technician", "open"]

CHILD = r"""
import json, sys
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment, AppDriver
prepare_environment(maxfps=0)
import ui.app

def run(app):          # PosApp.run, driven frame by frame until the till can charge, then stopped
    driver = AppDriver(app)
    app._run_prepare()
    driver.idle_until(lambda: getattr(app, "load_error", None) is not None or app.current_ready(),
                      what="till ready", timeout_s=START_WAIT_S, max_frames=10**9)
    driver.settle()
    driver.idle_until(lambda: all(app.screens.built(n) is not None for n in ui.app.WARM), what="sale flow screens",
                      timeout_s=START_WAIT_S, max_frames=10**9)
    driver.settle()
    modules = sorted(sys.modules)
    print("\nPROBE " + json.dumps({"error": repr(getattr(app, "load_error", None)), "modules": modules}))
    driver.stop()

ui.app.PosApp.run = run
from terminal.cli.main import main
code = main(["--config", CONFIG, "run"])
print("\nEXIT " + str(code))
"""


def loaded_by_run(tmp_path, sandbox, scanner: dict) -> set[str]:
    config = write_terminal_config(tmp_path, sandbox, scanner=scanner)
    script = (CHILD.replace("ROOT", repr(str(ROOT))).replace("CONFIG", repr(str(config)))
              .replace("START_WAIT_S", str(START_WAIT_S)))
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=2 * START_WAIT_S + 60, check=False)
    _, _, tail = proc.stdout.rpartition("\nPROBE ")
    assert tail and proc.returncode == 0 and "\nEXIT 0" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-3000:]
    probe = json.loads(tail.splitlines()[0])
    assert probe["error"] == "None"
    return set(probe["modules"])


def unneeded(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED))


@pytest.mark.parametrize("scanner", [{"kind": "virtual"}, {"kind": "serial", "port": "loop://"}],
                         ids=["virtual", "serial"])
def test_the_production_app_loads_no_server_camera_fleet_or_unvisited_screen(tmp_path, sandbox, scanner):
    modules = loaded_by_run(tmp_path, sandbox, scanner)
    assert "kivy" in modules and "terminal.wiring" in modules and "ui.screens.scan" in modules   # it did start
    assert unneeded(modules) == []
    assert [s for s in LATER_SCREENS if f"ui.screens.{s}" in modules] == []
    if scanner["kind"] == "serial":
        assert "serial" in modules
