"""The CLI money commands as owner operations: run here when this process can own the state
directory, handed to the running terminal (app or `control`) over its owner socket otherwise.

Each operation is `op(terminal, params, say) -> {"payload", "text", "exitCode"}`: the same code
runs in the CLI process (it holds the owner lock) and inside the owner (a handed-over request),
so a second process never sends or resolves on its own. `owner_operations(terminal)` is the
registry a long-running owner serves; other features add their own names to it.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

from ..errors import InputError
from ..money import money_from_api, parse_amount
from ..owner import OwnerChannel, OwnerOperations, TerminalBusy, hand_over
from ..refund_reasons import refund_reason
from ..service import Terminal
from .output import describe, emit, exit_code_for, say

Say = Callable[[str], None]


def _printed(result, say: Say) -> None:
    if not result.printed and result.message:
        say(f"receipt not printed: {result.message}")


def sale_op(terminal: Terminal, params: dict, say: Say) -> dict:
    currency = params.get("currency") or terminal.settings.currency
    amount = terminal.parse_amount(str(params.get("amount", "")), currency)
    tip = parse_amount(params["tip"], currency) if params.get("tip") else None
    code = params.get("code")
    if not isinstance(code, str):
        raise InputError("no payment code in the request")
    tx = terminal.sale(amount, code, tip=tip, reference=str(params.get("reference") or ""))
    if terminal.receipts.due(tx) and not params.get("noReceipt"):     # the core's receipt policy
        _printed(terminal.receipts.print(tx), say)
    return {"payload": tx.to_api(), "text": describe(tx), "exitCode": exit_code_for(tx)}


def recover_op(terminal: Terminal, params: dict, say: Say) -> dict:
    recover_with_progress(terminal, say)
    left, refunds = terminal.pending()
    text = ("nothing pending" if not left and not refunds else
            f"{len(left)} payment(s) and {len(refunds)} refund(s) still unresolved: the acquirer did not confirm "
            f"them yet; the running terminal keeps trying in the background (if none runs, check the network "
            f"and run `pos-terminal recover` again)")
    return {"payload": {"pending": [t.to_api() for t in left], "pendingRefunds": [r.to_api() for r in refunds]},
            "text": text, "exitCode": 4 if left or refunds else 0}


def cancel_op(terminal: Terminal, params: dict, say: Say) -> dict:
    tx = terminal.void(str(params.get("txId", "")))
    if terminal.receipts.due(tx):                                     # the void slip
        _printed(terminal.receipts.print(tx), say)
    return {"payload": tx.to_api(), "text": describe(tx), "exitCode": 0}


def refund_op(terminal: Terminal, params: dict, say: Say) -> dict:
    tx_id = str(params.get("txId", ""))
    tx = terminal.get(tx_id)
    amount = terminal.parse_amount(params["amount"], tx.currency) if params.get("amount") else None
    reason = refund_reason(params.get("reason"), params.get("reasonText"))
    if params.get("ownerPin"):
        refund = terminal.refund(tx_id, amount, owner_pin=str(params["ownerPin"]), reason=reason)
    else:
        refund = terminal.refund(tx_id, amount, pin=str(params.get("pin", "")), reason=reason)
    tx = terminal.get(tx_id)
    _printed(terminal.receipts.print_refund(tx, refund), say)
    return {"payload": tx.to_api(), "text": describe(tx), "exitCode": 0}


def close_batch_op(terminal: Terminal, params: dict, say: Say) -> dict:
    report = terminal.close_batch()
    _printed(terminal.receipts.print_batch_report(report), say)
    lines = [f"batch {report.batch_id}: {'MATCHED' if report.matched else 'DIFFERENCES FOUND'}"]
    for t in report.totals:
        amount = money_from_api({"currency": t["currency"], "value": t["paymentAmount"]})
        refunds = money_from_api({"currency": t["currency"], "value": t["refundAmount"]})
        lines.append(f"  {t['currency']}: {t['paymentCount']} payments {amount.plain()}, "
                     f"{t['refundCount']} refunds {refunds.plain()}")
    for d in report.differences:
        lines.append(f"  {d.kind}: {d.reference} terminal={d.terminal or '-'} acquirer={d.acquirer or '-'}")
    return {"payload": report.to_api(), "text": "\n".join(lines), "exitCode": 0 if report.matched else 1}


MONEY_OPERATIONS = {"sale": sale_op, "recover": recover_op, "cancel": cancel_op, "refund": refund_op,
                    "close-batch": close_batch_op}


def rotate_key_op(terminal: Terminal, params: dict, say: Say) -> dict:
    """Key rotation by the terminal that signs: it switches its signing key the moment the
    acquirer confirms (terminal/rotation_keeper.py), so no request is signed with a dead key."""
    if not terminal.upkeep.can_rotate_key:
        raise InputError("rotate-key: the demo profile (embedded acquirer) has no acquirer key to rotate; pass "
                         "--config <provisioned terminal.toml>")
    actor = str(params.get("actor") or "technician")[:40]
    outcome = terminal.upkeep.rotate_key(say, actor=actor)
    return {"payload": {"oldKeyVersion": outcome.old_version, "keyVersion": outcome.new_version,
                        "resumed": outcome.resumed},
            "text": f"key rotated: version {outcome.old_version} -> {outcome.new_version}; the terminal signs with "
                    f"the new key from now on", "exitCode": 0}


# Operations a running owner also takes that move no money (technician commands).
TECHNICIAN_OPERATIONS = {"rotate-key": rotate_key_op}


def owner_operations(terminal: Terminal) -> OwnerOperations:
    """What a long-running owner (app, `control`) serves on its socket."""
    registry = OwnerOperations()
    for name, op in {**MONEY_OPERATIONS, **TECHNICIAN_OPERATIONS}.items():
        registry.add(name, _bound(op, terminal))
    return registry


def _bound(op, terminal: Terminal):
    """`op` with this terminal: what the owner socket calls with (params, say)."""
    return lambda params, say: op(terminal, params, say)


def serve_owner_channel(terminal: Terminal) -> OwnerChannel:
    """Start the owner socket of a long-running terminal; stop it before closing the terminal."""
    return OwnerChannel(terminal.settings.state_dir, owner_operations(terminal)).start()


def recover_with_progress(terminal: Terminal, say: Say) -> None:
    """Resolve what a crash or power cut left open, saying what it does."""
    pending, refunds = terminal.pending()
    if not pending and not refunds:
        return
    say(f"recovering: {len(pending)} unresolved payment(s), {len(refunds)} unconfirmed refund(s)")

    def on_item(phase: str, item) -> None:
        state = getattr(getattr(item, "state", ""), "value", getattr(item, "state", ""))
        say(f"  {phase} {item.id}: {state}")

    terminal.recover(on_item=on_item)


def run_operation(args: argparse.Namespace, op: str, params: dict) -> int:
    """Run a money command here as the owner, or hand it to the running one; print its result."""
    from ..wiring import build_terminal
    from .context import config_of

    config = config_of(args)
    try:
        terminal = build_terminal(config)            # takes the owner lock first
    except TerminalBusy as busy:
        result = hand_over(config.state_dir(), op, params, say=say, busy=busy)
    else:
        try:
            if op != "recover":          # every start resolves what a crash left open, saying so
                recover_with_progress(terminal, say)
            result = MONEY_OPERATIONS[op](terminal, params, say)
        finally:
            terminal.close()
    emit(args, result["payload"], result["text"])
    return int(result["exitCode"])
