"""`pos-terminal demo`: the app on the embedded sandbox when there is a display; otherwise (or
with --headless) a scripted walk through approved, declined, unknown-then-approved, a partial
refund, a void and a batch close, printed as it happens."""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..demo_codes import code_for
from ..errors import BusinessError
from ..locations import STATE_DIR_ENV
from .context import config_of, open_terminal
from .output import describe, emit, say

if TYPE_CHECKING:
    from ..records import Transaction


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="the app (or a headless scripted demo) on the embedded sandbox")
    p.add_argument("--headless", action="store_true", help="scripted demo without the touchscreen app")
    p.add_argument("--fresh", action="store_true", help="use a new temporary state directory")
    p.set_defaults(func=cmd_demo)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def cmd_demo(args: argparse.Namespace) -> int:
    if args.fresh and not os.environ.get(STATE_DIR_ENV):
        os.environ[STATE_DIR_ENV] = tempfile.mkdtemp(prefix="pos-terminal-demo-")
    if not args.headless and has_display():
        try:
            from .cmd_app import run_app
        except ImportError:
            say("the touchscreen app is not available here: running the headless demo")
        else:
            return run_app(args, demo=True)
    return scripted_demo(args)


def scripted_demo(args: argparse.Namespace) -> int:
    config = config_of(args)
    if not config.acquirer.embedded:
        say("the scripted demo needs acquirer.base_url = \"embedded\" (the demo profile)")
        return 2
    say(f"headless demo: embedded sandbox acquirer, state in {config.state_dir()}")
    steps = []
    with open_terminal(args) as terminal:
        def sale(label: str, amount: str, suffix: str) -> Transaction:
            say(f"\n== {label}: {amount} {config.terminal.currency}, code ending {suffix}")
            tx = terminal.sale(terminal.parse_amount(amount), code_for(suffix))
            say(describe(tx))
            steps.append({"step": label, "transaction": tx.to_api()})
            return tx

        approved = sale("approved sale", "12.50", "0000")
        sale("declined: insufficient balance", "8.00", "0051")
        say("   (the next one answers 'payment in process': the terminal checks with the acquirer…)")
        sale("unknown result, then approved", "23.75", "0091")
        say(f"\n== partial refund of 5.00 on {approved.id} (demo manager PIN)")
        from ..wiring import DEMO_MANAGER_PIN

        terminal.refund(approved.id, terminal.parse_amount("5.00"), pin=DEMO_MANAGER_PIN)
        tx = terminal.get(approved.id)
        say(describe(tx))
        steps.append({"step": "partial refund", "transaction": tx.to_api()})
        voidable = sale("sale to void", "4.20", "0000")
        say(f"\n== void of {voidable.id}")
        try:
            tx = terminal.void(voidable.id)
            say(describe(tx))
            steps.append({"step": "void", "transaction": tx.to_api()})
        except BusinessError as exc:
            say(f"void refused: {exc.message}")
        say("\n== batch close")
        report = terminal.close_batch()
        say(f"batch {report.batch_id}: {'MATCHED' if report.matched else 'DIFFERENCES'}")
        for t in report.totals:
            say(f"  {t['currency']}: {t['paymentCount']} payments ({t['paymentAmount']} minor units), "
                f"{t['refundCount']} refunds ({t['refundAmount']})")
        steps.append({"step": "batch close", "report": report.to_api()})
        receipts = Path(config.state_path(config.printer.path))
        if receipts.exists():
            say(f"\nreceipts printed to {receipts}")
    emit(args, {"steps": steps}, "demo finished: every step above ran against the sandbox acquirer")
    return 0
