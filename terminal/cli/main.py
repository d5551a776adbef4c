"""`pos-terminal`: the command line of terminal-interfaces.md §1."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import NoReturn

from ..errors import InputError, TerminalError
from ..logs import mask_digit_runs, setup_logging
from .output import emit, say

# Each command module exposes register(subparsers); missing optional ones are skipped.
COMMAND_MODULES = (
    "cmd_payments", "cmd_demo", "cmd_sandbox", "cmd_scan_test", "cmd_app", "cmd_control",
    "cmd_technician", "cmd_update", "cmd_fleet",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # bad usage: exit 2 with the usage line (codes in it masked)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {mask_digit_runs(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pos-terminal", description="Wallet payment-code point-of-sale terminal")
    parser.add_argument("--config", help="configuration TOML (default: a provisioned state directory's own, "
                                         "else the shipped demo profile)")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (JSON lines on stderr)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except TerminalError as exc:
        message = mask_digit_runs(exc.message)   # a code typed into the wrong argument
        say(f"error: {message}")
        if getattr(args, "json", False):   # the control API's error shape, so scripts read the code
            emit(args, {"error": {"code": exc.code, "message": message}}, "")
        return exc.exit_code
    except KeyboardInterrupt:
        say("interrupted: anything pending is resolved at the next start (or `pos-terminal recover`)")
        return 4
    except BrokenPipeError:
        return 0
    except Exception:  # never a traceback on stdout: log it for the technician, say what to do
        logging.getLogger("terminal.cli").exception("internal error")
        say("internal error: the details are in the log (run with -v); anything pending is resolved "
            "at the next start")
        return 3


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()


__all__ = ["InputError", "build_parser", "main"]
