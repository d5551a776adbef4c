"""`pos-terminal sandbox`: run the sandbox acquirer on loopback until SIGTERM/SIGINT.

The CLI stays thin: the server lives in `sandbox/` and is reached only through the
composition root (terminal/composition.py) when this command runs.
"""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the sandbox acquirer (HTTPS on 127.0.0.1) until SIGTERM/SIGINT",
        description="Run the sandbox acquirer on loopback. Prints its base URL, CA bundle, "
                    "signing and encryption key paths and kid (with --json: one JSON object).")
    from ..composition import add_sandbox_arguments

    add_sandbox_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..composition import serve_sandbox

    return serve_sandbox(args, as_json=bool(getattr(args, "json", False)))
