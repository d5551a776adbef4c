"""Field technician commands: provision, rotate-key, diagnose, factory-reset, export-logs.

Exit codes (terminal-interfaces.md §1): 0 done; 1 refused for a business reason (factory-reset
with open transactions); 2 bad usage or input (a wrong activation code, a bad PIN file);
3 terminal fault (unreachable acquirer, TLS, clock, keys, a failed diagnose check); 4 result
unknown (a key rotation the acquirer has not confirmed yet).
"""
from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..locations import DEFAULT_CONFIG, STATE_DIR_ENV
from .output import emit, say

if TYPE_CHECKING:  # pydantic is imported by the command that runs, not by --help
    from ..config import Config
    from ..factory_reset import ResetPlan
    from ..pins import PinVault


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("provision", help="enrol this device with the acquirer (technician)",
                       description="From a fresh device to ready for sales. Run it again after an interruption: "
                                   "it resumes. Pass the global --config to start from a profile (scanner, printer).")
    p.add_argument("--activation-code", required=True, help="one-time code from the acquirer's portal")
    p.add_argument("--acquirer", required=True, metavar="URL", help="acquirer base URL (https://...)")
    p.add_argument("--ca-bundle", metavar="PEM", help="CAs trusted for the acquirer (default: system store)")
    p.add_argument("--acquirer-key", metavar="PEM", help="the acquirer's response-signing public key (required: "
                   "the register answer must verify with it)")
    p.add_argument("--state-dir", help=f"where keys, PINs and the journal live (default: ${STATE_DIR_ENV}, "
                   "else storage.state_dir of --config, else the user data directory)")
    p.add_argument("--config-out", metavar="PATH", help="where to write the production configuration "
                   "(default: <state dir>/terminal.toml)")
    p.add_argument("--serial-number", help="device serial number (default: the Raspberry Pi's serial)")
    p.add_argument("--technician-pin-file", metavar="FILE", help="file holding the technician PIN (else prompted)")
    p.add_argument("--manager-pin-file", metavar="FILE", help="file holding the manager PIN (else prompted)")
    p.add_argument("--owner-pin-file", metavar="FILE", help="file holding the owner PIN (optional): an override "
                   "for voids and refunds while the manager PIN is locked (3 wrong tries lock it 15 minutes)")
    p.set_defaults(func=cmd_provision)

    p = sub.add_parser("rotate-key", help="replace the terminal's signing key (acquirer rotateKey)")
    p.set_defaults(func=cmd_rotate_key)

    p = sub.add_parser("diagnose", help="self-test: one line per check, PASS/FAIL with the fix")
    p.set_defaults(func=cmd_diagnose)

    p = sub.add_parser("factory-reset", help="remove keys, PINs and the journal from this device")
    p.add_argument("--force", action="store_true", help="even with unresolved transactions or an open batch "
                   "(needs the technician PIN)")
    p.add_argument("--pin-file", help="file holding the technician PIN (else prompted)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_factory_reset)

    p = sub.add_parser("print-test", help="print a test slip through the configured printer (exit 3: not printed)")
    p.add_argument("--locale", help="the slip's language (default: terminal.locale)")
    p.set_defaults(func=cmd_print_test)

    p = sub.add_parser("export-logs", help="a support bundle (tar.gz): logs, diagnose output, configuration; "
                       "no secrets, payment codes masked")
    p.add_argument("--output", "-o", metavar="PATH", help="bundle path (default: ./pos-terminal-support-<time>.tar.gz)")
    p.add_argument("--no-network", action="store_true", help="skip the acquirer round trip in the diagnose part")
    p.set_defaults(func=cmd_export_logs)


# -- provision ------------------------------------------------------------------------------

def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None


def _pin(role: str, pin_file: str | None, vault: PinVault) -> str | None:
    if pin_file:
        pin = _read_file(pin_file, f"--{role}-pin-file").decode(errors="replace").strip()
    elif vault.is_set(role):
        return None                   # resuming: keep the PIN set earlier
    elif sys.stdin.isatty():
        pin = getpass.getpass(f"new {role} PIN (4-12 digits): ")
        if getpass.getpass(f"{role} PIN again: ") != pin:
            raise InputError(f"the two {role} PINs differ: run provision again")
    else:
        raise InputError(f"{role} PIN needed: pass --{role}-pin-file FILE (no terminal to prompt on)")
    if not re.fullmatch(r"[0-9]{4,12}", pin):
        raise InputError(f"the {role} PIN must be 4 to 12 digits")
    return pin


def _state_dir_for(args: argparse.Namespace, base: Config) -> Path:
    if args.state_dir:
        return Path(args.state_dir).expanduser().resolve()
    return base.state_dir().expanduser().resolve()


def cmd_provision(args: argparse.Namespace) -> int:
    from ..pins import PinVault
    from ..provisioning import Provisioner, ProvisionRequest, device_serial_number

    if not args.acquirer.startswith("https://"):
        raise InputError("--acquirer must be an https:// URL (TLS is always verified)")
    if not args.acquirer_key:
        raise InputError("--acquirer-key PEM is required: the acquirer's signing key must be pinned, never "
                         "trusted on first use (get it from the acquirer's portal with the activation code)")
    from ..config import Config, load_config

    base = load_config(args.config) if args.config else Config()
    if base.acquirer.embedded and args.config:
        base = base.model_copy(update={"acquirer": base.acquirer.model_copy(update={"base_url": args.acquirer})})
    serial = args.serial_number or device_serial_number() or (base.terminal.serial_number if args.config else None)
    if not serial:
        raise InputError("no device serial number found: pass --serial-number")
    state_dir = _state_dir_for(args, base)
    config_out = Path(args.config_out).expanduser().resolve() if args.config_out else state_dir / "terminal.toml"
    if args.config and config_out == Path(args.config).resolve() and Path(args.config).resolve() == DEFAULT_CONFIG:
        raise InputError("--config-out must not overwrite the shipped demo profile")
    vault = PinVault(state_dir=state_dir)
    pins = {role: pin for role, pin in (("technician", _pin("technician", args.technician_pin_file, vault)),
                                        ("manager", _pin("manager", args.manager_pin_file, vault))) if pin}
    owner_pin = _pin("owner", args.owner_pin_file, vault) if args.owner_pin_file else None
    if owner_pin:       # a given file always yields a PIN (or an error)
        pins["owner"] = owner_pin
    ca_bundle = Path(args.ca_bundle).expanduser().resolve() if args.ca_bundle else None
    if ca_bundle is not None:
        _read_file(str(ca_bundle), "--ca-bundle")
    request = ProvisionRequest(
        activation_code=args.activation_code.strip(), base_url=args.acquirer.rstrip("/"),
        acquirer_key_pem=_read_file(args.acquirer_key, "--acquirer-key"), state_dir=state_dir,
        config_out=config_out, serial_number=serial, base_config=base, ca_bundle=ca_bundle, pins=pins)
    audit = _audit_recorder(state_dir=state_dir)
    try:
        outcome = Provisioner(request, progress=say).run()
    except Exception as exc:
        if state_dir.is_dir():
            audit("technician", "provision", result="failed", code=getattr(exc, "code", type(exc).__name__),
                  serialNumber=serial)
        raise
    audit("technician", "provision", terminalId=outcome.terminal_id, keyVersion=outcome.key_version,
          resumed=outcome.resumed, serialNumber=serial)
    emit(args, {"configPath": str(outcome.config_path), "stateDir": str(state_dir), "clientId": outcome.client_id,
                "terminalId": outcome.terminal_id, "keyVersion": outcome.key_version, "resumed": outcome.resumed},
         f"provisioned: terminal {outcome.terminal_id} for {outcome.merchant_name or 'the merchant'}\n"
         f"from now on use: pos-terminal --config {outcome.config_path} <command>   "
         f"(e.g. `diagnose`, `run`)")
    return 0


# -- rotate-key -----------------------------------------------------------------------------

def _provisioned_config(args: argparse.Namespace) -> Config:
    from ..config import load_config

    if not args.config:
        raise InputError("pass the provisioned configuration: pos-terminal --config <state dir>/terminal.toml ...")
    return load_config(args.config)


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """The terminal that signs does the rotation: a running app or `control` is asked over its
    owner socket (it switches its key live); when none runs, this process takes the owner lock
    and does it itself."""
    from ..owner import TerminalBusy, hand_over
    from ..wiring import build_terminal
    from .handoff import rotate_key_op

    config = _provisioned_config(args)
    if config.acquirer.embedded:
        return _demo_refusal("rotate-key")
    params = {"actor": "cli"}
    try:
        terminal = build_terminal(config)            # takes the owner lock first
    except TerminalBusy as busy:
        result = hand_over(config.state_dir(), "rotate-key", params, say=say, busy=busy)
    else:
        try:
            result = rotate_key_op(terminal, params, say)
        finally:
            terminal.close()
    emit(args, result["payload"], result["text"])
    return int(result["exitCode"])


def _audit_recorder(*, state_dir: Path) -> Callable[..., None]:
    """Append to the journal's audit trail; a journal that cannot be opened never blocks the action."""
    from ..audit import record_in

    def record(actor: str, action: str, **kw: Any) -> None:
        record_in(state_dir / "journal.sqlite", actor, action, say=say, **kw)
    return record


def _demo_refusal(command: str) -> int:
    raise InputError(f"{command}: the demo profile (embedded acquirer) has no acquirer key to rotate; pass "
                     f"--config <provisioned terminal.toml>")


# -- diagnose -------------------------------------------------------------------------------

def cmd_diagnose(args: argparse.Namespace) -> int:
    from ..diagnostics import format_report, run_diagnostics

    report = run_diagnostics(args.config)
    emit(args, report.to_api(), format_report(report))
    return 0 if report.ok else 3


# -- factory-reset --------------------------------------------------------------------------

def cmd_factory_reset(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..factory_reset import factory_reset, plan_reset

    config = load_config(args.config) if args.config else load_config(None)
    plan = plan_reset(config)
    pin = None
    if plan.blockers and args.force:
        pin = _technician_pin(args.pin_file)
    if not args.yes and not plan.blockers or not args.yes and args.force:
        _confirm(plan)
    audit = _audit_recorder(state_dir=plan.state_dir)
    try:
        removed = factory_reset(config, plan=plan, force=args.force, technician_pin=pin)
    except Exception as exc:
        audit("technician", "factory_reset", result="refused", code=getattr(exc, "code", type(exc).__name__),
              blockers=plan.blockers)
        raise
    # The journal went with the reset: the fresh one starts with the record of it.
    audit("technician", "factory_reset", forced=bool(args.force and plan.blockers), filesRemoved=len(removed))
    from ..factory_reset import ACQUIRER_NOTICE

    acquirer = ACQUIRER_NOTICE.format(client_id=config.acquirer.client_id or "(none)")
    emit(args, {"removed": [str(p) for p in removed], "stateDir": str(plan.state_dir),
                "acquirerDeregistered": False, "acquirer": acquirer},
         f"factory reset done: {len(removed)} file(s) removed from {plan.state_dir}; provision the device again "
         f"before taking payments\n{acquirer}")
    return 0


def _technician_pin(pin_file: str | None) -> str:
    if pin_file:
        return _read_file(pin_file, "--pin-file").decode(errors="replace").strip()
    if not sys.stdin.isatty():
        raise InputError("technician PIN needed for --force: pass --pin-file FILE (no terminal to prompt on)")
    return getpass.getpass("technician PIN: ")


def _confirm(plan: ResetPlan) -> None:
    if not sys.stdin.isatty():
        raise InputError("factory-reset removes the keys, PINs and journal: pass --yes to confirm "
                         "(no terminal to ask on)")
    answer = input(f"remove keys, PINs and the journal from {plan.state_dir}? type RESET to confirm: ")
    if answer.strip() != "RESET":
        raise InputError("not confirmed: nothing was removed")


# -- export-logs ----------------------------------------------------------------------------

def cmd_export_logs(args: argparse.Namespace) -> int:
    from ..log_export import export_logs

    output = Path(args.output) if args.output else None
    path, members = export_logs(args.config, output=output, network=not args.no_network,
                                cwd=Path(os.getcwd()))
    emit(args, {"bundle": str(path), "files": members},
         f"support bundle written: {path} ({len(members)} files; no keys, PINs or tokens; payment codes masked)")
    return 0


# -- print-test -----------------------------------------------------------------------------

def cmd_print_test(args: argparse.Namespace) -> int:
    """The test slip the technician screen prints (ReceiptPrinter.test_print): with no running
    terminal needed, so a printer can be checked before provisioning or with the app stopped."""
    from ..config import load_config
    from ..errors import FaultError
    from ..printing import ReceiptPrinter, printer_from_config
    from ..receipts import ReceiptBuilder

    config = load_config(args.config) if args.config else load_config(None)
    printer, problem = printer_from_config(config)
    receipts = ReceiptPrinter(printer=printer, builder=ReceiptBuilder(config=config), problem=problem)
    try:
        result = receipts.test_print(locale=args.locale)
    finally:
        receipts.close()
    status = getattr(result.status, "value", str(result.status))
    if not result.printed:
        raise FaultError(f"test slip not printed ({config.printer.kind} printer {status}): {result.message}",
                         code="PRINTER")
    emit(args, {"printed": True, "printer": config.printer.kind, "status": status, "bytes": result.bytes_written},
         f"test slip printed ({config.printer.kind} printer, {status}, {result.bytes_written} bytes)")
    return 0

