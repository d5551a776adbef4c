"""sale, transactions, recover, cancel, refund, close-batch."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..errors import InputError
from ..refund_reasons import REASON_CODES, refund_reason
from .context import config_of, open_journal
from .output import describe, emit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sale", help="one sale, headless")
    p.add_argument("--amount", required=True, help='decimal amount, e.g. "12.50"')
    p.add_argument("--currency", help="ISO 4217 (default: terminal.currency)")
    p.add_argument("--tip", help='tip as a decimal amount, e.g. "2.00"')
    p.add_argument("--reference", default="", help="merchant/ECR reference")
    p.add_argument("--no-receipt", action="store_true", help="do not print a receipt")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--code", help="the payment code as scanned; '-' reads it from standard input (use that in "
                     "production: a code in the arguments shows in `ps` to every user of the machine)")
    src.add_argument("--scan", action="store_true", help="wait for the configured scanner")
    p.set_defaults(func=cmd_sale)

    p = sub.add_parser("transactions", help="the journal, newest first")
    p.add_argument("tx_id", nargs="?")
    p.add_argument("--since", help="ISO date or time, e.g. 2026-11-24")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_transactions)

    p = sub.add_parser("recover", help="resolve every non-final transaction now")
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser("cancel", help="void / cancel a payment")
    p.add_argument("tx_id")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("refund", help="full or partial refund (manager PIN)")
    p.add_argument("tx_id")
    p.add_argument("--amount", help="partial amount (default: all that is left)")
    p.add_argument("--reason", metavar="CODE", help=f"why: {', '.join(REASON_CODES)} (printed on the refund slip, "
                   "sent to the acquirer)")
    p.add_argument("--reason-text", metavar="TEXT", help="with --reason other: why, in words")
    p.add_argument("--pin-file", help="file holding the manager PIN (else prompted)")
    p.add_argument("--owner-pin-file", metavar="FILE", help="file holding the owner PIN: an override instead of "
                   "the manager PIN (e.g. while it is locked)")
    p.set_defaults(func=cmd_refund)

    p = sub.add_parser("close-batch", help="batch close with the acquirer; prints the reconciliation")
    p.set_defaults(func=cmd_close_batch)


def _code_from_stdin() -> str:
    """`--code -`: one line from standard input (a pipe or a prompt), never in argv."""
    if sys.stdin is None:
        raise InputError("--code -: no standard input to read the payment code from")
    if sys.stdin.isatty():
        return getpass.getpass("payment code: ")
    line = sys.stdin.readline(4096)
    if not line.strip():
        raise InputError("--code -: standard input was empty: pipe the scanned code in, e.g. from the scanner")
    return line.strip()


def cmd_sale(args: argparse.Namespace) -> int:
    config = config_of(args)
    currency = args.currency or config.terminal.currency
    # Typed input checked before anything starts (exit 2, nothing journalled): the text becomes
    # Money here, the core's sale rules decide what a sale may be.
    from ..codes import parse_payment_code
    from ..money import parse_amount
    from ..sale_rules import SaleRules

    amount = parse_amount(args.amount, currency)
    tip = parse_amount(args.tip, currency) if args.tip else None
    code_text = _code_from_stdin() if args.code == "-" else args.code
    SaleRules.from_config(config.terminal).request(amount, tip=tip, reference=args.reference)
    if code_text is not None:
        parse_payment_code(code_text).drop()                 # a bad code: exit 2 before anything starts
    code = code_text if code_text is not None else _wait_for_scan(config)
    # The code goes to the owner (this process, or the running terminal over its owner-only
    # socket): never into argv, a file or a log.
    return run_operation(args, "sale", {"amount": args.amount, "currency": currency, "tip": args.tip,
                                        "reference": args.reference, "code": code,
                                        "noReceipt": bool(args.no_receipt)})


def _wait_for_scan(config) -> str:
    from .scan_source import wait_for_scan

    return wait_for_scan(config)


def run_operation(args: argparse.Namespace, op: str, params: dict) -> int:
    from .handoff import (
        run_operation as run,  # the payment stack only for the command that runs
    )

    return run(args, op, params)


def cmd_transactions(args: argparse.Namespace) -> int:
    """Read-only: opens the journal beside a running owner, never the acquirer link."""
    with open_journal(args) as journal:
        if args.tx_id:
            tx = journal.get(args.tx_id)
            emit(args, tx.to_api(), describe(tx))
            return 0
        txs = journal.transactions(since=args.since, limit=args.limit)
        emit(args, {"transactions": [t.to_api() for t in txs]},
             "\n".join(describe(t) for t in txs) or "no transactions")
        return 0


def cmd_recover(args: argparse.Namespace) -> int:
    return run_operation(args, "recover", {})


def cmd_cancel(args: argparse.Namespace) -> int:
    return run_operation(args, "cancel", {"txId": args.tx_id})


def _read_pin(pin_file: str | None, what: str = "--pin-file") -> str:
    if pin_file:
        try:
            return Path(pin_file).read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {what} {pin_file}: {getattr(exc, 'strerror', None) or 'not text'}") from None
    if not sys.stdin.isatty():
        raise InputError("manager PIN needed: pass --pin-file FILE (no terminal to prompt on)")
    return getpass.getpass("manager PIN: ")


def cmd_refund(args: argparse.Namespace) -> int:
    reason = refund_reason(args.reason, args.reason_text)    # a bad reason: exit 2, before the PIN is asked
    params = {"txId": args.tx_id, "amount": args.amount,
              "reason": reason.code if reason else None, "reasonText": reason.text if reason else None}
    if getattr(args, "owner_pin_file", None):
        if args.pin_file:
            raise InputError("pass --pin-file or --owner-pin-file, not both")
        params["ownerPin"] = _read_pin(args.owner_pin_file, "--owner-pin-file")
    else:
        params["pin"] = _read_pin(args.pin_file)
    return run_operation(args, "refund", params)


def cmd_close_batch(args: argparse.Namespace) -> int:
    return run_operation(args, "close-batch", {})
