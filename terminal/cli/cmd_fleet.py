"""`pos-terminal enrol`: zero-touch enrolment with the fleet (terminal/fleet/enrol.py).

A golden image runs `pos-terminal --config golden.toml enrol && pos-terminal --config
<state dir>/terminal.toml run`: with an empty state dir the device announces its serial,
waits for the fleet's answer (or a technician's approval), provisions itself and reports.
"""
from __future__ import annotations

import argparse

from .output import emit, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("enrol", help="zero-touch enrolment with the fleet (golden image, empty state dir)")
    p.add_argument("--serial-number", help="device serial (default: the Raspberry Pi's, else terminal.serial_number)")
    p.add_argument("--timeout", type=float, default=0, help="give up after N seconds (default: wait for approval)")
    p.set_defaults(func=cmd_enrol)


def cmd_enrol(args: argparse.Namespace) -> int:
    from ..fleet.enrol import enrol
    from ..provisioning import device_serial_number
    from .context import config_of

    config = config_of(args)
    serial = args.serial_number or device_serial_number() or config.terminal.serial_number
    outcome = enrol(config, serial=serial, timeout_s=args.timeout, progress=say)
    emit(args, outcome, f"enrolled as {outcome['terminalId']}: pos-terminal --config {outcome['configPath']} run")
    return 0
