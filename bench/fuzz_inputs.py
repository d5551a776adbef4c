#!/usr/bin/env python3
"""Bounded fuzzing of every input, at a larger budget than CI (issue #12).

    .venv/bin/python bench/fuzz_inputs.py                 # 200 examples per operation / unit
    .venv/bin/python bench/fuzz_inputs.py --examples 50   # quicker

Runs the same tests as CI (tests/fuzz/: the control API with schemathesis, stateless and
stateful; configuration files; serial byte streams; acquirer answers) with POS_FUZZ_EXAMPLES
raised, then prints what ran and how it ended. Any unhandled exception, 5xx, undocumented
answer, or journal entry for a refused request fails the run. Bounded: every request goes to
a server on 127.0.0.1 that the run starts and stops itself.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="hypothesis examples per operation / unit")
    parser.add_argument("--json", type=Path, help="also write the counts here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "POS_FUZZ_EXAMPLES": str(args.examples), "POS_FUZZ_REPORT": str(report)}
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz"],
                              cwd=ROOT, env=env, check=False)
        elapsed = time.monotonic() - started
        counts = json.loads(report.read_text()) if report.exists() else {}
    total = 0
    print(f"\nfuzz run: {args.examples} examples per unit, {elapsed:.0f} s, pytest exit {proc.returncode}")
    for area, outcomes in sorted(counts.items()):
        n = sum(outcomes.values())
        total += n if not area.startswith("serial frames") else 0
        detail = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        print(f"  {area:<32} {n:>6}  ({detail})")
    print(f"  {'inputs in total':<32} {total:>6}; unhandled exceptions / failures: "
          f"{'0' if proc.returncode == 0 else 'see above'}")
    if args.json:
        args.json.write_text(json.dumps({"examples": args.examples, "seconds": round(elapsed), "exit": proc.returncode,
                                         "counts": counts}, indent=2, sort_keys=True))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
