"""sale, transactions, recover, cancel, refund, close-batch."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from ..errors import InputError
from ..money import money_from_api
from .context import config_of, open_journal, open_terminal, recover_pending
from .output import describe, emit, exit_code_for, say


def register(sub) -> None:
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


def cmd_sale(args) -> int:
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
    request = SaleRules.from_config(config.terminal).request(amount, tip=tip, reference=args.reference)
    code = parse_payment_code(code_text) if code_text is not None else None   # parsed once; dropped by sale
    with open_terminal(args) as terminal:
        tx = terminal.sale(request, code if code is not None else _wait_for_scan(terminal))
        if tx.captured and not args.no_receipt:
            _report_print(terminal.receipts.sale(tx))
        emit(args, tx.to_api(), describe(tx))
        return exit_code_for(tx)


def _wait_for_scan(terminal) -> str:
    from .scan_source import wait_for_scan

    return wait_for_scan(terminal.config)


def _report_print(result) -> None:
    if not result.printed and result.message:
        say(f"receipt not printed: {result.message}")


def cmd_transactions(args) -> int:
    with open_journal(args) as journal:
        if args.tx_id:
            tx = journal.get(args.tx_id)
            emit(args, tx.to_api(), describe(tx))
            return 0
        txs = journal.list(since=args.since, limit=args.limit)
        emit(args, {"transactions": [t.to_api() for t in txs]},
             "\n".join(describe(t) for t in txs) or "no transactions")
        return 0


def cmd_recover(args) -> int:
    with open_terminal(args, recover=False) as terminal:
        recover_pending(terminal)
        left = terminal.journal.pending()
        refunds = terminal.journal.pending_refunds()
        emit(args, {"pending": [t.to_api() for t in left], "pendingRefunds": [r.to_api() for r in refunds]},
             "nothing pending" if not left and not refunds else
             f"{len(left)} payment(s) and {len(refunds)} refund(s) still unresolved: check the network and run again")
        return 4 if left or refunds else 0


def cmd_cancel(args) -> int:
    with open_terminal(args) as terminal:
        tx = terminal.void(args.tx_id)
        _report_print(terminal.receipts.sale(tx))
        emit(args, tx.to_api(), describe(tx))
        return 0


def _read_pin(pin_file: str | None, what: str = "--pin-file") -> str:
    if pin_file:
        try:
            return Path(pin_file).read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {what} {pin_file}: {getattr(exc, 'strerror', None) or 'not text'}") from None
    if not sys.stdin.isatty():
        raise InputError("manager PIN needed: pass --pin-file FILE (no terminal to prompt on)")
    return getpass.getpass("manager PIN: ")


def cmd_refund(args) -> int:
    with open_terminal(args) as terminal:
        tx = terminal.get(args.tx_id)
        amount = terminal.parse_amount(args.amount, tx.currency) if args.amount else None
        if getattr(args, "owner_pin_file", None):
            if args.pin_file:
                raise InputError("pass --pin-file or --owner-pin-file, not both")
            refund = terminal.refund(args.tx_id, amount, owner_pin=_read_pin(args.owner_pin_file, "--owner-pin-file"))
        else:
            refund = terminal.refund(args.tx_id, amount, pin=_read_pin(args.pin_file))
        tx = terminal.get(args.tx_id)
        _report_print(terminal.receipts.refund(tx, refund))
        emit(args, tx.to_api(), describe(tx))
        return 0


def cmd_close_batch(args) -> int:
    with open_terminal(args) as terminal:
        report = terminal.close_batch()
        _report_print(terminal.receipts.batch(report.to_api()))
        lines = [f"batch {report.batch_id}: {'MATCHED' if report.matched else 'DIFFERENCES FOUND'}"]
        for t in report.totals:
            amount = money_from_api({"currency": t["currency"], "value": t["paymentAmount"]})
            refunds = money_from_api({"currency": t["currency"], "value": t["refundAmount"]})
            lines.append(f"  {t['currency']}: {t['paymentCount']} payments {amount.plain()}, "
                         f"{t['refundCount']} refunds {refunds.plain()}")
        for d in report.differences:
            lines.append(f"  {d.kind}: {d.reference} terminal={d.terminal or '-'} acquirer={d.acquirer or '-'}")
        emit(args, report.to_api(), "\n".join(lines))
        return 0 if report.matched else 1
