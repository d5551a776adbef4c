"""python -m sandbox [--port P] [--state-dir D] [--slow-response-s S] [--json]"""
from __future__ import annotations

import argparse
import sys

from .standalone import add_arguments, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Sandbox acquirer on loopback (HTTPS)")
    add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the connection details as one JSON object")
    args = parser.parse_args(argv)
    return serve(args, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
