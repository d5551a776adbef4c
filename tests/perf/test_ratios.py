"""Performance regression check: ratios to a floor measured in the same run (never absolute
times) against bench/baselines.json, with a tolerance wide enough for a shared machine.

Runs `python bench/ratios.py --check` in its own process (the decoder bench pins itself to
one core; the control API run starts a terminal). About 40-80 s; deselect with `-m "not perf"`. After an intended change in a
figure: `python bench/ratios.py --update` and commit bench/baselines.json."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.perf
def test_ratios_to_the_floor_have_not_regressed():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "ratios.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
