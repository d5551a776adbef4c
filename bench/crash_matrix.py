"""The full kill -9 crash matrix: every crash point x every fault switch.

    python bench/crash_matrix.py [--quick] [--json]

Prints runs, how many were killed at their crash point (a fault can make a point
unreachable: e.g. a dropped pay never yields a pay response), and mismatches between the
terminal's final state and the sandbox acquirer's (must be 0).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.embedded import EmbeddedSandbox
from tests.crashkit import matrix, run_case, summarise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the CI subset only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = matrix(full=not args.quick)
    outcomes = []
    started = time.monotonic()
    with (tempfile.TemporaryDirectory(prefix="crash-matrix-") as tmp,
          EmbeddedSandbox(state_dir=Path(tmp) / "sandbox", slow_response_s=3.0) as sandbox):
        for i, case in enumerate(cases, 1):
            outcome = run_case(case, sandbox, Path(tmp) / f"run-{i}")
            outcomes.append(outcome)
            flag = "killed" if outcome.killed else "not reached"
            print(f"[{i:3}/{len(cases)}] {case.name:<45} {flag:<12} "
                  f"{'OK' if not outcome.mismatches else 'MISMATCH ' + '; '.join(outcome.mismatches)}",
                  file=sys.stderr, flush=True)
    summary = summarise(outcomes)
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"crash matrix: {summary['runs']} runs, {summary['killed']} killed at their crash point, "
              f"{summary['mismatches']} mismatches, {summary['seconds']} s")
        for name, problems in summary["details"].items():
            print(f"  {name}: {problems}")
    return 1 if summary["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
