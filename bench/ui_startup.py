"""UI start-up benchmark: cold start to first frame, RSS after start, keypad-to-scan time.

    .venv/bin/python bench/ui_startup.py [--runs 3] [--profile demo|production|both]

Each run is a fresh process (a cold start) with a temporary state directory, offscreen.
Profiles: ``demo`` (the shipped demo.toml: the embedded sandbox acquirer, FastAPI and all, is
built inside the app) and ``production`` (a production-shaped configuration, as `provision`
writes it, talking HTTPS to a sandbox acquirer that runs in this benchmark's own process,
as a real acquirer runs elsewhere: the app imports no server framework). A bare Python start
is measured in the same run as the floor. "Cold start" is measured from process start (before importing Kivy or
the terminal) to the first Window flip (as `pos-terminal run` does it, the first frame says
"Starting the terminal…" while the Terminal is built on the worker); "ready for sale" is
until the keypad screen is up, which includes building the Terminal (journal, keys, the
embedded sandbox). Keypad-to-scan is the time from the charge
button's release to the first frame drawn with the scan screen current (Checkout.begin on the
worker, the event back through the Clock, the screen switch), median of 10 sales.
Targets: first frame <= 1.5 s; keypad ready <= 1.2 s and RSS <= 150 MB (production),
<= 1.8 s (demo); keypad-to-scan <= 100 ms. Prints medians and the ratio to each target.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "demo": {"cold_start_s": 1.5, "ready_for_sale_s": 1.8, "rss_mb": 250.0, "keypad_to_scan_ms": 100.0},
    "production": {"cold_start_s": 1.5, "ready_for_sale_s": 1.2, "rss_mb": 150.0, "keypad_to_scan_ms": 100.0},
}

CHILD = r"""
import time
T0 = time.perf_counter()
import json, os, sys, tempfile
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment, AppDriver
prepare_environment(width=800, height=480, maxfps=60)
os.environ["POS_TERMINAL_STATE_DIR"] = STATE
os.environ["POS_TERMINAL_UI_CACHE"] = STATE + "-ui"
from kivy.core.window import Window
first = []
Window.bind(on_flip=lambda *_: first or first.append(time.perf_counter()))
from drivers.scanners import VirtualScanner
from terminal.config import load_config
from ui.app import PosApp
config = load_config(CONFIG)
built = []
def load():
    # What `pos-terminal run` does: the terminal is built on the worker after the first frame.
    from terminal.checkout import Checkout
    from terminal.wiring import build_terminal
    built.append(build_terminal(config))
    return built[0], Checkout(terminal=built[0])
app = PosApp(loader=load, config=config, scanner=VirtualScanner(), demo=CONFIG is None, lang="en")
ui = AppDriver(app)
app._run_prepare()
while not first:
    ui.frames(1)
cold = first[0] - T0
ui.idle_until(lambda: getattr(app, "load_error", None) is not None or ("sale" in app.screens and app.current == "sale"),
              what="till ready")
if getattr(app, "load_error", None) is not None:
    raise SystemExit(f"the terminal did not start: {app.load_error!r}")
ready = time.perf_counter() - T0
terminal, checkout = built[0], app.checkout
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
ui.settle()
rss = rss_mb()
sale = app.screens["sale"]
times = []
for _ in range(10):
    for k in "1250":
        sale.keypad.press(k)
    flips = []
    cb = lambda *_: flips.append((time.perf_counter(), app.current))
    Window.bind(on_flip=cb)
    t = time.perf_counter()
    sale.ids.charge_btn.dispatch("on_release")
    ui.idle_until(lambda: any(c == "scan" for _, c in flips), what="scan frame")
    Window.unbind(on_flip=cb)
    times.append((next(f for f, c in flips if c == "scan") - t) * 1000)
    ui.idle_until(lambda: app.screens["scan"].ready, what="awaiting scan")
    checkout.cancel()
    ui.screen("sale")
    ui.settle()
    sale.clear()
times.sort()
if os.environ.get("UI_STARTUP_MODULES"):
    print(" ".join(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
print(json.dumps({"cold_start_s": cold, "ready_for_sale_s": ready, "rss_mb": rss,
                  "keypad_to_scan_ms": times[len(times) // 2]}))
ui.stop()
terminal.close()
"""


KIVY_FLOOR = r"""
import time
T0 = time.perf_counter()
import json, sys
sys.path.insert(0, ROOT)
from ui.headless import prepare_environment, AppDriver
prepare_environment(width=800, height=480, maxfps=60)
from kivy.core.window import Window
first = []
Window.bind(on_flip=lambda *_: first or first.append(time.perf_counter()))
from kivy.app import App
from kivy.uix.label import Label
class Bare(App):
    def load_kv(self, filename=None):  # no .kv file to look for (this class has no source file)
        return None

    def build(self):
        return Label(text="Starting the terminal…", font_size="28sp")
app = Bare()
ui = AppDriver(app)
app._run_prepare()
while not first:
    ui.frames(1)
ui.frames(10)
rss = [int(x.split()[1]) / 1024 for x in open("/proc/self/status") if x.startswith("VmRSS:")][0]
print(json.dumps({"cold_start_s": first[0] - T0, "rss_mb": rss}))
"""


def kivy_floor(runs: int) -> dict[str, float]:
    """The floor of the app's own figures: a bare Kivy app (one label) on the same window
    and GL stack, first frame and RSS."""
    child = KIVY_FLOOR.replace("ROOT", repr(str(ROOT)))
    out = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120,
                              check=True)
        out.append(json.loads([x for x in proc.stdout.splitlines() if x.startswith("{")][-1]))
    return {k: statistics.median(r[k] for r in out) for k in out[0]}


def run_profile(profile: str, runs: int) -> list[dict] | None:
    import tempfile

    state = tempfile.mkdtemp(prefix="pos-bench-")
    config = None
    sandbox = None
    if profile == "production":
        from sandbox.embedded import EmbeddedSandbox
        from tests.support import write_terminal_config

        sandbox = EmbeddedSandbox(state_dir=Path(state) / "acquirer")
        sandbox.start()
        config = str(write_terminal_config(Path(state), sandbox))
        state = str(Path(state) / "state")  # where write_terminal_config put the keys
    child = (CHILD.replace("ROOT", repr(str(ROOT))).replace("= STATE", f"= {state!r}")
             .replace("(CONFIG)", f"({config!r})").replace("CONFIG is None", repr(config is None)))
    results = []
    try:
        # Run 0 primes the state directory (first-use key generation, like a provisioned
        # terminal has already done); the measured runs are cold starts of a terminal in service.
        for i in range(runs + 1):
            proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=180,
                                  check=False)
            line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
            if proc.returncode or not line:
                print(proc.stderr[-6000:], file=sys.stderr)
                return None
            if i:
                results.append(json.loads(line[-1]))
    finally:
        if sandbox is not None:
            sandbox.stop()
    return results


def bare_python_s(runs: int) -> float:
    import time

    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> int:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else "both"
    sys.path.insert(0, str(ROOT))
    for name in (["production", "demo"] if profile == "both" else [profile]):
        floor = bare_python_s(5)
        kivy = kivy_floor(runs)
        results = run_profile(name, runs)
        if results is None:
            return 1
        print(f"ui_startup, {name} profile, {runs} cold runs (800x480 offscreen); floors in this run: "
              f"bare python start {floor:.3f} s; bare Kivy app (one label) first frame "
              f"{kivy['cold_start_s']:.3f} s, RSS {kivy['rss_mb']:.0f} MB")
        for key, target in TARGETS[name].items():
            values = [r[key] for r in results]
            med = statistics.median(values)
            extra = ""
            if key.endswith("_s"):
                extra = f"  x bare Kivy {med / kivy['cold_start_s']:4.2f}  x bare python {med / floor:5.1f}"
            elif key == "rss_mb":
                extra = f"  bare Kivy + {med - kivy['rss_mb']:.0f} MB"
            verdict = f"target {target:g}  {'OK' if med <= target else 'OVER'}"
            print(f"  {key:18s} median {med:8.3f}  (min {min(values):.3f}, max {max(values):.3f})  "
                  f"{verdict}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
