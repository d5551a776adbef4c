"""Sales back to back through the control API against the sandbox acquirer.

    python bench/control_load.py                 # 300 sales: a quick look
    python bench/control_load.py --sales 10000   # the full run
    python bench/control_load.py --acquirer embedded   # the rig profile's in-process sandbox
    python bench/control_load.py --ecr requests  # the cash register on TerminalClient (requests)

The terminal runs as `pos-terminal control` in its own process with a fresh state directory;
this script is the ECR: POST /v1/sales, POST /v1/scans, then the sale's RESULT on one
long-lived event stream (no polling). Prints throughput, latency percentiles (sale request to
result event) and the terminal process's RSS at the start (after a warm-up) and at
checkpoints, so growth without bound shows.

The cash register is lean by default (LeanEcr: http.client, one keep-alive connection), since
its own CPU is not the terminal's and on these two shared cores would sit on every latency
measured; `--ecr requests` drives the terminal through TerminalClient, as the rigs do (about
2 ms a sale more here).

The acquirer: by default the sandbox runs as its own process (`python -m sandbox`), as in the
field, where the acquirer is another machine; the terminal process then does only the
terminal's work, and the sandbox's own CPU a sale is printed beside it. The floor (the same
sale in the core, in this process) talks to that same sandbox process, so the ratio compares
like with like. `--acquirer embedded` runs the rig profile as it ships (config/rig.toml: the
sandbox inside the terminal's process, sharing its GIL and CPU) and the floor with its own
in-process sandbox: the figures of earlier sessions.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from terminal.control.client import TerminalClient
from terminal.demo_codes import code_for
from terminal.money import parse_amount

WARMUP = 50
_USED: set[str] = set()


def fresh_code() -> str:
    """A payment code not used before in this run, as a wallet shows a new one for every payment.
    code_for has 8 random digits: over 10,000 sales, two alike within the terminal's 3-minute
    reuse window are likely enough (about 1 in 3 runs at 18 sales/s) that the terminal, rightly,
    refused one as a double scan."""
    while (code := code_for("0000")) in _USED:
        pass
    _USED.add(code)
    return code


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class LeanEcr:
    """The cash register as lean as its HTTP stack gets: one keep-alive connection (http.client)
    for the two requests of a sale, and the event stream read line by line from a second one.

    TerminalClient, the rigs' client, spends about 3.5 ms of CPU a sale in requests and its event
    parsing (1.0 ms a request, against 0.25 ms on http.client, measured on GET /v1/status). A
    cash register is another program on another machine: that time is not the terminal's, and
    here, on the same two cores, it would sit on the latency measured. `--ecr requests` measures
    through TerminalClient instead."""

    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._conn = http.client.HTTPConnection(*self._address, timeout=60)

    def _post(self, path: str, body: dict) -> dict:
        self._conn.request("POST", path, body=json.dumps(body), headers=self._headers)
        response = self._conn.getresponse()
        answer = json.loads(response.read())
        if response.status >= 300:
            raise SystemExit(f"POST {path}: {response.status} {answer}")
        return answer

    def sale(self, value_minor: str, currency: str) -> str:
        return self._post("/v1/sales", {"amount": {"currency": currency, "value": value_minor}, "reference": "",
                                        "idempotencyKey": f"bench-{uuid.uuid4().hex}"})["transactionId"]

    def scan(self, code: str) -> None:
        self._post("/v1/scans", {"code": code})

    @contextlib.contextmanager
    def events(self):
        """The stream's events as dicts, from the moment the server has subscribed it."""
        conn = http.client.HTTPConnection(*self._address, timeout=60)
        conn.request("GET", "/v1/events", headers=self._headers)
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET /v1/events: {response.status} {response.read()[:200]!r}")

        def lines():
            while line := response.readline():
                yield line.rstrip(b"\r\n")

        stream = lines()
        for line in stream:          # the opening comment: subscribed from here on
            if not line:
                break

        def parsed():
            for line in stream:
                if line.startswith(b"data:"):
                    yield json.loads(line[5:])
        try:
            yield parsed()
        finally:
            conn.close()

    def close(self) -> None:
        self._conn.close()


class RequestsEcr:
    """The same cash register through TerminalClient (requests), as the rigs drive the terminal."""

    def __init__(self, url: str, token: str):
        self._client = TerminalClient(url, token)

    def sale(self, value_minor: str, currency: str) -> str:
        return self._client.sale(int(value_minor), currency).id

    def scan(self, code: str) -> None:
        self._client.scan(code)

    @contextlib.contextmanager
    def events(self):
        with self._client.events(timeout=60) as stream:
            yield (event.to_dict() for event in stream if event is not None)

    def close(self) -> None:
        self._client.close()


ECRS = {"lean": LeanEcr, "requests": RequestsEcr}


def _first_json_line(proc: subprocess.Popen, what: str) -> dict:
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    if not selector.select(timeout=60):
        proc.kill()
        raise SystemExit(f"{what} did not start within 60 s")
    return json.loads(proc.stdout.readline())


class SandboxProcess:
    """The sandbox acquirer in its own process (`python -m sandbox`), with what
    tests.support.write_terminal_config needs of a sandbox (clients registered over its
    loopback admin API)."""

    def __init__(self, state_dir: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--json", "--state-dir", str(state_dir),
                                      "--slow-response-s", "3"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        info = _first_json_line(self.proc, "the sandbox acquirer")
        self.base_url, self.admin_url = info["baseUrl"], info["adminUrl"]
        self.ca_bundle_path = Path(info["caBundle"])
        self.signing_public_key_path = Path(info["signingPublicKey"])
        self.encryption_public_key_path = Path(info["encryptionPublicKey"])
        self.encryption_kid = info["encryptionKid"]

    def register_client(self, *, client_id: str, terminal_id: str, public_key_pem: bytes, key_version: int = 1) -> None:
        import requests

        response = requests.post(f"{self.admin_url}/clients", verify=str(self.ca_bundle_path), timeout=30,
                                 json={"client_id": client_id, "terminal_id": terminal_id,
                                       "public_key_pem": public_key_pem.decode(), "key_version": key_version})
        response.raise_for_status()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# The rig profile's acquirer schedule (config/rig.toml), for a terminal on the sandbox process.
RIG_SCHEDULE = {"read_timeout_s": 2, "other_read_timeout_s": 2, "inquiry_interval_s": 0.2, "inquiry_window_s": 4,
                "cancel_retry_max_s": 1}


def terminal_config(tmp: Path, sandbox: SandboxProcess | None) -> Path:
    """config/rig.toml as it ships (embedded sandbox), or the rig profile's terminal on the
    sandbox process: control API on, virtual scanner, receipts to a file."""
    if sandbox is None:
        return ROOT / "config" / "rig.toml"
    from tests.support import write_terminal_config

    return write_terminal_config(tmp, sandbox, acquirer=RIG_SCHEDULE, terminal={"serial_number": "RIG-0001"},
                                 scanner={"kind": "virtual"}, control={"enabled": True, "port": 0})


def start_terminal(state_dir: str, config: Path | None = None) -> tuple[subprocess.Popen, str, str]:
    env = {**os.environ, "POS_TERMINAL_STATE_DIR": state_dir}
    proc = subprocess.Popen([sys.executable, "-m", "terminal.cli.main", "--config",
                             str(config or ROOT / "config" / "rig.toml"),
                             "--json", "control", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    ready = _first_json_line(proc, "the terminal")
    if "url" not in ready:
        proc.kill()
        raise SystemExit(f"the terminal did not start: {ready}")
    return proc, ready["url"], Path(ready["tokenFile"]).read_text().strip()


@contextlib.contextmanager
def core_floor(warmup: int = WARMUP, sandbox: SandboxProcess | None = None):
    """The floor: the same sale in the core, in this process (no HTTP API, no checkout, no
    event stream), against the sandbox process, or without one against its own embedded
    sandbox. Timed interleaved with the API sales, so a load change on a shared machine hits
    both alike."""
    from tests.support import build, write_terminal_config

    with tempfile.TemporaryDirectory(prefix="control-floor-") as tmp:
        embedded = None
        if sandbox is None:
            from sandbox.embedded import EmbeddedSandbox

            embedded = EmbeddedSandbox(state_dir=Path(tmp) / "sandbox")
            embedded.start()
        terminal = build(write_terminal_config(Path(tmp), sandbox or embedded, acquirer=RIG_SCHEDULE))
        amount = terminal.parse_amount("1.00")

        cpu: list[float] = []   # CPU seconds of each timed sale

        def one() -> float:
            t0, c0 = time.perf_counter(), own_cpu_s()
            terminal.sale(amount, fresh_code())
            cpu.append(own_cpu_s() - c0)   # this process does nothing else meanwhile
            return time.perf_counter() - t0

        try:
            for _ in range(warmup):
                one()
            cpu.clear()
            yield one, cpu
        finally:
            terminal.close()
            if embedded is not None:
                embedded.stop()


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def run(sales: int, *, warmup: int = WARMUP, checkpoints: int = 5, keep_state: bool = True,
        acquirer: str = "process", ecr: str = "lean") -> dict:
    """`sales` API sales after `warmup`, the core floor interleaved; the figures main() prints
    (bench/ratios.py uses "cpu_ratio"). acquirer: "process" (the sandbox in its own process)
    or "embedded" (config/rig.toml: in the terminal's process). ecr: "lean" (LeanEcr) or
    "requests" (TerminalClient)."""
    state_dir = tempfile.mkdtemp(prefix="control-load-")
    sandbox = SandboxProcess(Path(state_dir) / "acquirer") if acquirer == "process" else None
    # the terminal's state: write_terminal_config puts its key in <dir>/state
    terminal_state = str(Path(state_dir) / "terminal" / "state") if sandbox else state_dir
    try:
        proc, url, token = start_terminal(terminal_state, terminal_config(Path(state_dir) / "terminal", sandbox))
    except BaseException:
        if sandbox is not None:
            sandbox.stop()
        raise
    with TerminalClient(url, token) as setup:
        currency = setup.default_currency()
    value = parse_amount("1.00", currency).to_api()["value"]      # minor units, as the API takes them
    client = ECRS[ecr](url, token)
    latencies: list[float] = []
    floor: list[float] = []
    rss: list[tuple[int, int]] = []
    every = max(1, sales // checkpoints)
    floor_every = max(1, sales // 300)
    try:
        # the floor's terminal first: its warm-up must not leave the event stream unread (the
        # control API closes a connection idle for longer than its idle timeout)
        with core_floor(warmup, sandbox) as (core_sale, core_cpu), client.events() as stream:
            def one_sale() -> float:
                t0 = time.perf_counter()
                tx_id = client.sale(value, currency)
                client.scan(fresh_code())
                for event in stream:
                    detail = event["detail"]
                    if event["txId"] == tx_id and event["kind"] == "checkout" and detail.get("state") == "RESULT":
                        if detail.get("txState") != "APPROVED":
                            raise SystemExit(f"sale {tx_id} ended {detail}")
                        return time.perf_counter() - t0
                raise SystemExit("event stream ended")

            for _ in range(warmup):
                one_sale()
            rss.append((0, rss_kib(proc.pid)))
            cpu_start = cpu_s(proc.pid)
            acquirer_cpu = 0.0    # the sandbox process's CPU in the API sales (not the floor's)
            for i in range(1, sales + 1):
                a0 = cpu_s(sandbox.proc.pid) if sandbox else 0.0
                latencies.append(one_sale())
                acquirer_cpu += cpu_s(sandbox.proc.pid) - a0 if sandbox else 0.0
                if i % floor_every == 0:
                    floor.append(core_sale())
                if i % every == 0 or i == sales:
                    rss.append((i, rss_kib(proc.pid)))
            api_cpu_ms = (cpu_s(proc.pid) - cpu_start) * 1000 / sales
            core_cpu_ms = statistics.fmean(core_cpu) * 1000
    finally:
        client.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if sandbox is not None:
            sandbox.stop()
        journal_mb = sum(p.stat().st_size for p in Path(terminal_state).glob("journal.sqlite*")) / 1e6
        if not keep_state:
            shutil.rmtree(state_dir, ignore_errors=True)
    floor_ms = sorted(v * 1000 for v in floor)
    ms = sorted(v * 1000 for v in latencies)
    return {"sales": sales, "warmup": warmup, "latencies_s": latencies, "ms": ms, "floor_ms": floor_ms,
            "elapsed_s": sum(latencies),  # back to back: the floor's sales are not counted
            "api_cpu_ms": api_cpu_ms, "core_cpu_ms": core_cpu_ms, "cpu_ratio": api_cpu_ms / core_cpu_ms,
            "p50_ratio": percentile(ms, 50) / percentile(floor_ms, 50), "rss": rss,
            "journal_mb": journal_mb, "state_dir": terminal_state, "acquirer": acquirer,
            "acquirer_cpu_ms": acquirer_cpu * 1000 / sales if sandbox else None, "ecr": ecr}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--checkpoints", type=int, default=5, help="RSS readings during the run")
    parser.add_argument("--acquirer", choices=("process", "embedded"), default="process",
                        help="the sandbox acquirer in its own process (default, as in the field), or embedded in "
                             "the terminal's process (config/rig.toml as it ships)")
    parser.add_argument("--ecr", choices=tuple(ECRS), default="lean",
                        help="the cash register: lean (http.client, default) or requests (TerminalClient, as rigs use)")
    args = parser.parse_args()
    r = run(args.sales, checkpoints=args.checkpoints, acquirer=args.acquirer, ecr=args.ecr)
    ms, floor, rss, latencies = r["ms"], r["floor_ms"], r["rss"], r["latencies_s"]
    where = ("the sandbox acquirer in its own process" if args.acquirer == "process"
             else "the sandbox acquirer embedded in the terminal's process")
    ecr = "a lean ECR (http.client)" if args.ecr == "lean" else "TerminalClient (requests)"
    print(f"sales: {args.sales} (after {r['warmup']} warm-up), approved, through the control API from {ecr}; {where}")
    print(f"throughput: {args.sales / r['elapsed_s']:.1f} sales/s  ({r['elapsed_s']:.1f} s)")
    print(f"latency ms (sale request -> RESULT event): p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
          f"p99 {percentile(ms, 99):.1f}  max {ms[-1]:.1f}  mean {statistics.fmean(ms):.1f}")
    if args.sales >= 2000:   # latency must not grow with the journal either
        tenth = args.sales // 10
        first, last = sorted(latencies[:tenth]), sorted(latencies[-tenth:])
        print(f"p50 of the first {tenth} sales {percentile(first, 50) * 1000:.1f} ms, of the last {tenth} "
              f"{percentile(last, 50) * 1000:.1f} ms")
    print(f"floor, the same sale in the core (in-process, no API), interleaved: p50 {percentile(floor, 50):.1f} ms  "
          f"p95 {percentile(floor, 95):.1f} ms;  API p50 / core p50 = {r['p50_ratio']:.2f}")
    print(f"CPU per sale (all threads, clock ticks: less sensitive to a shared machine than latency): "
          f"terminal process {r['api_cpu_ms']:.1f} ms; core sale {r['core_cpu_ms']:.1f} ms (floor); "
          f"API / core = {r['cpu_ratio']:.2f}")
    if r["acquirer_cpu_ms"] is not None:
        print(f"the acquirer's own CPU per API sale (the sandbox process, not in the figures above): "
              f"{r['acquirer_cpu_ms']:.1f} ms")
    print("terminal RSS (MiB) after N sales: " + ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in rss))
    first_kib, last_kib = rss[0][1], rss[-1][1]
    half = next(kib for n, kib in rss if n >= args.sales // 2)
    print(f"RSS growth: start->end {(last_kib - first_kib) / 1024:+.1f} MiB; second half "
          f"{(last_kib - half) / 1024:+.1f} MiB ({(last_kib - half) / max(1, args.sales - args.sales // 2):.2f} KiB/sale)")
    print(f"journal: {r['journal_mb']:.1f} MB in {r['state_dir']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
