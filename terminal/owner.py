"""One owner per state directory: the process that sends to the acquirer or resolves payments.

Two processes resolving the same journal race each other (one cancels what the other just saw
approved). So every process that may send or resolve holds an exclusive `flock` on
`<state dir>/owner.lock` for its whole life; the kernel drops it when the process dies, even on
kill -9, so a stale lock cannot outlive its holder. The lock file records who holds it (pid,
command, start time) for the messages a second process prints.

A long-running owner (the app, `control`) also serves an owner-only Unix socket,
`<state dir>/owner.sock` (mode 0600 in the 0700 state directory; the peer's uid is checked
too), where a second process hands an operation over instead of doing it itself: the daemon
plus thin client pattern of systemd or Docker. The protocol is JSON lines: the client sends one
request `{"op": NAME, "params": {...}}`; the owner answers with any number of
`{"say": TEXT}` progress lines and one final `{"done": {...}}` or `{"error": {...}}` line.
Operations are looked up by name in an `OwnerOperations` registry, so features add their own
(`registry.add("rotate-key", handler)`). A payment code in a request travels only over this
socket: never argv, disk or logs (the server logs operation names, never parameters).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FaultError, TerminalError, UnknownResultError

log = logging.getLogger("terminal.owner")
LOCK_FILE = "owner.lock"
SOCKET_FILE = "owner.sock"
MAX_REQUEST_BYTES = 64 * 1024
CLIENT_CONNECT_S = 5.0
CLIENT_ANSWER_S = 900.0      # a sale may inquire, then cancel with backoff: bounded, but long

Say = Callable[[str], None]
Handler = Callable[[dict, Say], dict]


class TerminalBusy(FaultError):
    """Another process owns this state directory (exit 3, naming it and what to do)."""

    code = "TERMINAL_BUSY"

    def __init__(self, message: str, *, holder: dict | None = None):
        super().__init__(message)
        self.holder = holder or {}


def describe_holder(holder: dict) -> str:
    if not holder:
        return "another process"
    return f"process {holder.get('pid', '?')} ({holder.get('command', '?')}, since {holder.get('since', '?')})"


def read_holder(state_dir: Path) -> dict:
    """What the lock file says about its holder ({} if unknown); for messages only."""
    try:
        data = json.loads((Path(state_dir) / LOCK_FILE).read_text() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class OwnerLock:
    """An exclusive flock on <state dir>/owner.lock, held until release() or process death."""

    def __init__(self, state_dir: Path, *, command: str | None = None):
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / LOCK_FILE
        self.command = command or " ".join(["pos-terminal", *_safe_argv()])
        self._fd: int | None = None

    def acquire(self) -> OwnerLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise FaultError(f"cannot lock {self.path} ({exc.strerror}): check the state directory",
                                 code="STATE_DIR") from None
            holder = read_holder(self.state_dir)
            raise TerminalBusy(f"the terminal is in use by {describe_holder(holder)}: hand the operation to it "
                               f"or wait until it stops", holder=holder) from None
        self._fd = fd
        record = {"pid": os.getpid(), "command": self.command, "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return self

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)          # no stale holder record for the next reader
        os.close(fd)                     # closing the descriptor drops the flock


def _safe_argv() -> list[str]:
    """The command line for the holder record, with anything after --code masked (a payment
    code must never reach disk)."""
    out, hide = [], False
    for arg in sys.argv[1:]:
        if hide:
            out.append("***")
            hide = False
            continue
        if arg == "--code":
            hide = True
        elif arg.startswith("--code="):
            arg = "--code=***"
        out.append(arg)
    return out[:12]


# -- the registry ------------------------------------------------------------------------------

class OwnerOperations:
    """Operation name -> handler(params, say) -> result dict. Handlers raise TerminalError for a
    refusal the client should print (its message and exit code travel back)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            raise ValueError(f"owner operation {name!r} is registered twice")
        self._handlers[name] = handler

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)


# -- the server --------------------------------------------------------------------------------

class OwnerChannel:
    """The owner's Unix socket. Each connection is one request served on its own thread (the
    Terminal serialises money operations itself)."""

    def __init__(self, state_dir: Path, operations: OwnerOperations):
        self.path = Path(state_dir) / SOCKET_FILE
        self.operations = operations
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    def start(self) -> OwnerChannel:
        # Only the lock holder gets here, so a socket file left by a killed owner is stale.
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)            # created 0600: no window where others may connect
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(8)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept, name="owner-channel", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), name="owner-request", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            stream = conn.makefile("rwb")
            lock = threading.Lock()

            def send(obj: dict) -> None:
                with lock:
                    try:
                        stream.write(json.dumps(obj).encode() + b"\n")
                        stream.flush()
                    except OSError:
                        pass     # the client went away: the operation still finishes here

            if not _same_user(conn):
                send({"error": {"code": "FORBIDDEN", "message": "only the terminal's own user may hand it "
                                "operations", "exitCode": 3}})
                return
            try:
                line = stream.readline(MAX_REQUEST_BYTES + 1)
                request = json.loads(line)
                op, params = request["op"], request.get("params") or {}
                if not isinstance(op, str) or not isinstance(params, dict):
                    raise TypeError("op must be a string and params an object")
            except (ValueError, KeyError, TypeError) as exc:
                send({"error": {"code": "BAD_REQUEST", "message": f"bad owner request ({exc})", "exitCode": 2}})
                return
            handler = self.operations.get(op)
            if handler is None:
                send({"error": {"code": "UNKNOWN_OPERATION", "exitCode": 3,
                                "message": f"the running terminal does not offer {op!r} (it offers "
                                           f"{', '.join(self.operations.names())}): update it or stop it first"}})
                return
            log.info("owner operation", extra={"op": op})
            try:
                result = handler(params, lambda text: send({"say": str(text)}))
                send({"done": result})
            except TerminalError as exc:
                send({"error": {"code": exc.code, "message": exc.message, "exitCode": exc.exit_code}})
            except Exception:
                log.exception("owner operation failed", extra={"op": op})
                send({"error": {"code": "INTERNAL", "exitCode": 3, "message": "internal error in the running "
                                "terminal: see its log; anything pending is resolved there"}})


def _same_user(conn: socket.socket) -> bool:
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return True      # no SO_PEERCRED here: the 0600 socket in the 0700 directory still guards
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid in (os.getuid(), 0)


# -- the client --------------------------------------------------------------------------------

@dataclass
class Handoff:
    result: dict


class OwnerError(TerminalError):
    """A refusal from the owner, carrying its exit code."""

    def __init__(self, message: str, *, code: str, exit_code: int):
        super().__init__(message, code=code)
        self.exit_code = exit_code


def hand_over(state_dir: Path, op: str, params: dict[str, Any], *, say: Say, busy: TerminalBusy) -> dict:
    """Send one operation to the running owner and return its result; progress lines go to
    `say`. Exit 3 (naming the holder) when no owner answers on the socket."""
    path = Path(state_dir) / SOCKET_FILE
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CLIENT_CONNECT_S)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        who = describe_holder(busy.holder)
        raise TerminalBusy(f"the terminal is in use by {who}, which takes no operations from other commands: "
                           f"wait for it to finish (a payment it is resolving ends there), or stop it, then run "
                           f"this again", holder=busy.holder) from None
    with sock:
        sock.settimeout(CLIENT_ANSWER_S)
        stream = sock.makefile("rwb")
        stream.write(json.dumps({"op": op, "params": params}).encode() + b"\n")
        stream.flush()
        say(f"handed to the running terminal ({describe_holder(busy.holder)})")
        try:
            for raw in stream:
                message = json.loads(raw)
                if "say" in message:
                    say(message["say"])
                elif "done" in message:
                    return message["done"]
                elif "error" in message:
                    e = message["error"]
                    raise OwnerError(e.get("message", "refused"), code=e.get("code", "REFUSED"),
                                     exit_code=int(e.get("exitCode", 3)))
        except (OSError, ValueError):
            pass
    raise UnknownResultError("the running terminal stopped answering before the operation ended: it finishes it "
                             "(or its next start does); see `pos-terminal transactions`")
