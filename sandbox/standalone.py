"""Standalone sandbox acquirer: serve on 127.0.0.1 until SIGTERM/SIGINT.

Used by `pos-terminal sandbox` and `python -m sandbox`. Prints where it listens and what a
terminal needs (CA bundle, signing and encryption key paths, kid) once it is ready.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TextIO

# The server modules (FastAPI, uvicorn) are imported inside serve(): building the CLI parser
# must stay cheap for every other `pos-terminal` command.

STATE_DIR_ENV = "POS_TERMINAL_STATE_DIR"


def default_state_dir() -> Path:
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env) / "sandbox"
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-terminal", appauthor=False)) / "sandbox"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help=f"sandbox state directory (default: ${STATE_DIR_ENV}/sandbox or the user data dir)")
    parser.add_argument("--slow-response-s", type=float, default=20.0,
                        help="delay of test code ...0098 answers, in seconds (default 20)")
    parser.add_argument("--base-path", default="", help="serve the API under this prefix, e.g. /api")


def serve(args: argparse.Namespace, *, as_json: bool = False, out: TextIO | None = None) -> int:
    from .context import SandboxContext, Settings
    from .server import bind_loopback, make_server

    out = out or sys.stdout
    _log_to_stderr()
    state_dir = args.state_dir or default_state_dir()
    try:
        ctx = SandboxContext(state_dir, Settings(slow_response_s=args.slow_response_s,
                                                 base_path=args.base_path or ""))
        sock = bind_loopback(args.port)
    except OSError as exc:
        print(f"error: cannot start the sandbox on 127.0.0.1:{args.port} with state in {state_dir}: "
              f"{exc.strerror or exc} (pick another --port or --state-dir)", file=sys.stderr)
        return 3
    port = sock.getsockname()[1]
    info = ctx.describe(f"https://127.0.0.1:{port}")
    info["adminUrl"] = f"https://127.0.0.1:{port}/admin"

    def ready() -> None:
        if as_json:
            print(json.dumps(info), file=out, flush=True)
        else:
            for key, value in info.items():
                print(f"{key}: {value}", file=out)
            print("serving until SIGTERM/SIGINT", file=out, flush=True)

    server = make_server(ctx, on_ready=ready)
    # uvicorn re-raises the signal that stopped it once it has shut down; a quiet handler
    # makes SIGTERM/SIGINT a clean exit (status 0) instead of death by signal.
    previous = {sig: signal.signal(sig, _quiet) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        ctx.store.close()
    return 0


def _quiet(signum: int, frame: FrameType | None) -> None:
    pass


def _log_to_stderr() -> None:
    from .logs import JsonLineFormatter

    logger = logging.getLogger("sandbox")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
