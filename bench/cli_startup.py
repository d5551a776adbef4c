"""Start-up time of the command line, beside a bare interpreter start measured in the same run.

    python bench/cli_startup.py [--runs 15]

Each command runs as a fresh process (``python -m terminal.cli.main ...``), interleaved with
``python -c pass`` so machine load hits both alike; prints medians and the ratio to the bare
start (the figure that does not depend on the machine). ``transactions`` runs against a
fresh state directory with a small journal. Targets: ``--help`` <= 0.15 s or <= 5x bare
Python; ``transactions`` <= 0.35 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "terminal.cli.main"]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t0


def measure(runs: int) -> dict[str, float]:
    """Median seconds of a bare start, ``--help`` and ``transactions``, and their ratios."""
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as state:
        env = {**os.environ, "POS_TERMINAL_STATE_DIR": state}
        subprocess.run(CLI + ["transactions"], cwd=ROOT, env=env, capture_output=True, check=True)
        cases = {"bare": [sys.executable, "-c", "pass"], "help": CLI + ["--help"],
                 "transactions": CLI + ["transactions"]}
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(runs):
            for name, cmd in cases.items():  # interleaved: load changes hit every case alike
                samples[name].append(wall(cmd, env))
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {"bare_s": med["bare"], "help_s": med["help"], "transactions_s": med["transactions"],
            "help_ratio": med["help"] / med["bare"],
            "transactions_ratio": med["transactions"] / med["bare"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    m = measure(args.runs)
    print(f"{'command':<28}{'median s':>10}{'x bare python':>15}   target")
    print(f"{'python -c pass (floor)':<28}{m['bare_s']:>10.3f}{1.0:>15.2f}")
    print(f"{'pos-terminal --help':<28}{m['help_s']:>10.3f}{m['help_ratio']:>15.2f}   "
          f"<= 0.15 s or <= 5x")
    print(f"{'pos-terminal transactions':<28}{m['transactions_s']:>10.3f}"
          f"{m['transactions_ratio']:>15.2f}   <= 0.35 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
