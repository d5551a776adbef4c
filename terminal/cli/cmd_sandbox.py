"""`pos-terminal sandbox`: run the sandbox acquirer on loopback until SIGTERM/SIGINT.

The CLI stays thin: the server lives in `sandbox/` and is imported only when this command
runs (the terminal core never imports `sandbox`).
"""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the sandbox acquirer (HTTPS on 127.0.0.1) until SIGTERM/SIGINT",
        description="Run the sandbox acquirer on loopback. Prints its base URL, CA bundle, "
                    "signing and encryption key paths and kid (with --json: one JSON object).")
    from sandbox.standalone import add_arguments

    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from sandbox.standalone import serve

    return serve(args, as_json=bool(getattr(args, "json", False)))
