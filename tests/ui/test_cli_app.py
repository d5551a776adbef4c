"""`pos-terminal run` is registered, and `demo` reaches run_app when a display is present."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]


def test_run_subcommand_is_registered():
    from terminal.cli.main import build_parser

    args = build_parser().parse_args(["run", "--language", "fr_CA"])
    assert args.command == "run" and args.language == "fr_CA"


def test_demo_calls_run_app_with_demo_true(monkeypatch):
    from terminal.cli import cmd_app, cmd_demo
    from terminal.cli.main import main

    calls = []
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(cmd_app, "run_app", lambda args, demo: calls.append(demo) or 0)
    assert main(["demo"]) == 0 and calls == [True]
    assert cmd_demo.has_display()


def test_run_applies_the_app_process_settings_before_the_app(monkeypatch):
    """`pos-terminal run` (what the systemd unit starts) sets the app's process settings
    (ui/process_settings.py) before the app is built; an operator's own values win."""
    import argparse

    from terminal import composition
    from terminal.cli import cmd_app
    from ui import process_settings

    seen = {}
    monkeypatch.delenv("KIVY_IMAGE", raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(process_settings, "cap_malloc_arenas", lambda arenas=2: seen.setdefault("arenas", arenas) > 0)

    class FakeApp:
        def __init__(self, **kwargs):
            seen["kivy_image_at_build"] = os.environ.get("KIVY_IMAGE")
            self.startup_problems = []

        def run(self):
            pass

    monkeypatch.setattr(composition, "touchscreen_app_class", lambda: FakeApp)
    assert cmd_app.run_app(argparse.Namespace(config=None, language=None), demo=False) == 0
    assert seen == {"arenas": 2, "kivy_image_at_build": "sdl2,tex,dds"}
    monkeypatch.setenv("KIVY_IMAGE", "sdl2,pil")
    assert "KIVY_IMAGE" not in process_settings.prepare_app_process()
    assert os.environ["KIVY_IMAGE"] == "sdl2,pil"


PROCESS_CHILD = r"""
import json, os, sys, threading
sys.path.insert(0, ROOT)
from ui.process_settings import prepare_app_process
applied = prepare_app_process() if CAP else {}
import ctypes, tempfile
def work(started, release):
    data = [bytearray(200_000) for _ in range(4)]     # malloc in this thread (above pymalloc's sizes)
    started.release(); release.acquire()
started, release = threading.Semaphore(0), threading.Semaphore(0)
threads = [threading.Thread(target=work, args=(started, release)) for _ in range(6)]
for t in threads: t.start()
for _ in threads: started.acquire()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fclose.argtypes = (ctypes.c_void_p,)
path = tempfile.mktemp()
f = libc.fopen(path.encode(), b"w"); libc.malloc_info(0, f); libc.fclose(f)
arenas = open(path).read().count("<heap nr=")
os.unlink(path)
for _ in threads: release.release()
import kivy.core.image
print(json.dumps({"applied": applied, "arenas": arenas, "pil": "PIL" in sys.modules}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_app_process_caps_malloc_arenas_and_loads_no_pillow_provider(tmp_path):
    """Six threads allocating at once get their own malloc arenas (each with its own free space)
    unless capped; Kivy loads Pillow as an image provider unless KIVY_IMAGE leaves it out."""
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "KIVY_IMAGE")}
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1", KIVY_HOME=str(tmp_path))
    out = {}
    for cap in (True, False):
        code = PROCESS_CHILD.replace("ROOT", repr(str(ROOT))).replace("CAP", repr(cap))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[cap] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out[True]["applied"] == {"KIVY_IMAGE": "sdl2,tex,dds", "malloc_arenas": "2"}
    assert out[True]["arenas"] <= 2 < out[False]["arenas"], out
    assert not out[True]["pil"] and out[False]["pil"], out
