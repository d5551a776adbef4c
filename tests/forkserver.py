"""A fork server for `pos-terminal` processes (bench/chaos.py): one single-threaded process
imports the command line once, then forks a child per command. Each child is a real, separate
process (its own pid, descriptors, flock and kill -9) that runs `terminal.cli.main.main(argv)`
with its own environment and output files; it skips only the 1 s of imports a fresh
interpreter pays, which on a loaded two-core machine decides how many chaos runs fit in an
hour.

    server = ForkServer()                    # starts the zygote
    child = server.spawn(argv, env, out_path, err_path)
    child.pid; child.wait(timeout) -> exit code (negative: killed by that signal)
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _zygote() -> None:
    import terminal.cli.main as cli
    from terminal.cli import handoff  # noqa: F401 - imported once here, not in every child

    cli.build_parser()                 # imports every command module
    children: set[int] = set()
    stdin = sys.stdin.buffer
    out = sys.stdout
    buffered = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05)
        if ready:
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                break
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request, cli)
                children.add(pid)
                out.write(json.dumps({"started": pid, "tag": request["tag"]}) + "\n")
                out.flush()
        for pid in list(children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
                code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                out.write(json.dumps({"exited": pid, "code": code}) + "\n")
                out.flush()


def _child(request: dict, cli) -> None:
    code = 3
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child's own fds 0-2, kept open for its life
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        sys.argv = ["pos-terminal", *request["argv"]]
        code = cli.main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:   # noqa: BLE001 - a child never returns into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code))


class Child:
    def __init__(self, server: ForkServer, pid: int, out: Path, err: Path):
        self.server, self.pid, self.out, self.err = server, pid, out, err
        self.returncode: int | None = None
        self._done = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        self._done.wait(timeout)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def outputs(self) -> tuple[str, str]:
        return self.out.read_text(errors="replace"), self.err.read_text(errors="replace")


class ForkServer:
    def __init__(self, env: dict | None = None):
        self._proc = subprocess.Popen([sys.executable, "-c", "from tests.forkserver import _zygote; _zygote()"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT), env=env,
                                      text=True, bufsize=1)
        self._lock = threading.Lock()
        self._started: dict[str, int] = {}
        self._waiting: dict[str, threading.Event] = {}
        self._children: dict[int, Child] = {}
        self._early: dict[int, int] = {}
        self._tag = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            message = json.loads(line)
            with self._lock:
                if "started" in message:
                    self._started[message["tag"]] = message["started"]
                    self._waiting.pop(message["tag"]).set()
                else:
                    child = self._children.get(message["exited"])
                    if child is None:
                        self._early[message["exited"]] = message["code"]
                        continue
                    child.returncode = message["code"]
                    child._done.set()

    def spawn(self, argv: list[str], env: dict, out: Path, err: Path) -> Child:
        with self._lock:
            self._tag += 1
            tag = str(self._tag)
            event = self._waiting[tag] = threading.Event()
            self._proc.stdin.write(json.dumps({"tag": tag, "argv": argv, "env": env, "out": str(out),
                                               "err": str(err)}) + "\n")
            self._proc.stdin.flush()
        if not event.wait(60):
            raise RuntimeError("the fork server did not answer")
        with self._lock:
            pid = self._started.pop(tag)
            child = self._children[pid] = Child(self, pid, Path(out), Path(err))
            if pid in self._early:
                child.returncode = self._early.pop(pid)
                child._done.set()
        return child

    def close(self) -> None:
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
