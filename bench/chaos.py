"""Chaos benchmark: several processes on one state directory, kill -9 and sandbox faults.

    .venv/bin/python bench/chaos.py [--runs 200] [--max-minutes 60] [--seed 1] [--no-app] [--json]

Each run (tests/chaoskit.py) mixes an owner (the headless app or `pos-terminal control`, or
none), CLI `sale`/`recover`/`cancel`/`refund`/`close-batch` started at random moments on the
same state directory, one sandbox fault (including a pay held on its way and delivered after
the terminal resolved it: `late_delivery`), and a kill -9 of one process at a random moment in
half the runs. After a final `recover` it counts, against the sandbox acquirer's records:
mismatches (terminal vs acquirer), approvals shown without a capture, captures the terminal
does not know of. All three must be 0. Stops by itself after --runs or --max-minutes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.embedded import EmbeddedSandbox
from tests.chaoskit import run_once, summarise
from tests.forkserver import ForkServer


def _worker(w: int, args, tmp: Path, started: float, results: list, lock: threading.Lock) -> None:
    """Runs seeds w, w + workers, ... against its own sandbox (fault switches are global to a
    sandbox, so two runs must never share one)."""
    sandbox = EmbeddedSandbox(state_dir=tmp / f"sandbox-{w}", slow_response_s=3.0)
    sandbox.start()
    server = ForkServer() if args.fork else None
    try:
        for i in range(w, args.runs, args.workers):
            if time.monotonic() - started > args.max_minutes * 60:
                print(f"worker {w}: time budget reached", file=sys.stderr)
                return
            seed = args.seed + i
            try:
                r = run_once(seed, sandbox, tmp / f"run-{i}", allow_app=not args.no_app, server=server)
            except Exception as exc:  # noqa: BLE001 - a harness problem: reported, not a money failure
                print(f"[{i + 1:3}] seed {seed}: harness error {exc!r}", file=sys.stderr, flush=True)
                continue
            with lock:
                results.append(r)
                done = len(results)
            verdict = "OK" if r.ok else f"FAIL {r.mismatches + r.approved_unpaid + r.unknown_captures}"
            print(f"[{done:3}/{args.runs}] seed {seed} owner={r.owner:<7} fault={r.fault:<17} "
                  f"actions={','.join(r.actions):<40} killed={r.killed or '-':<11} {r.seconds:5.1f}s {verdict}",
                  file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.close()
        sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--max-minutes", type=float, default=60.0, help="stop starting runs after this long")
    parser.add_argument("--seed", type=int, default=1, help="first seed; run i uses seed + i")
    parser.add_argument("--workers", type=int, default=1, help="runs in parallel, each with its own sandbox")
    parser.add_argument("--no-app", action="store_true", help="never start the touchscreen app as the owner")
    parser.add_argument("--no-fork", dest="fork", action="store_false",
                        help="start every process as a fresh interpreter (default: forked from a process that "
                             "imported the command line once; each is still its own process)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list = []
    lock = threading.Lock()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        workers = [threading.Thread(target=_worker, args=(w, args, Path(tmp), started, results, lock))
                   for w in range(max(1, args.workers))]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    summary = summarise(results)
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"chaos: {summary['runs']} runs ({summary['owners']}), {summary['killed']} with a kill -9, "
              f"{summary['payments']} payments, {summary['cliProcesses']} CLI processes "
              f"({summary['handedOver']} handed to the owner, {summary['refusedBusy']} refused as busy); "
              f"mismatches {summary['mismatches']}, approved without capture {summary['approvedUnpaid']}, "
              f"captures unknown to the terminal {summary['unknownCaptures']}; {summary['seconds']} s")
        for failed in summary["failed"]:
            print(f"  {failed}")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
