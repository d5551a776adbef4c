"""500 simulated terminals in one asyncio process against a real Mosquitto, and the real console.

    python bench/fleet_scale.py                      # 500 terminals (the issue's figure)
    python bench/fleet_scale.py --terminals 100      # a quick look

Set-up: `pos-fleet broker`'s own configuration (TLS, passwords, ACL, persistence) on a free
loopback port; 500 terminal accounts; `pos-fleet serve` (console daemon + dashboard) in its own
process. Each simulated terminal (aiomqtt) connects with its own credentials and a last will,
publishes a retained status shaped like the real agent's, heartbeats every --heartbeat-s, and
answers every command after verifying its Ed25519 signature with the real check
(terminal.fleet.protocol.verify_command). Reported:

  connect storm    time until all N terminals are connected and subscribed
  heartbeat rate   heartbeats/s seen by a console-side subscriber over --window-s
  fan-out          `pos-fleet command --group bench ping` (a separate process, as a technician
                   runs it): ack latency per command (issued -> ack recorded), p50/p95/p99,
                   and first issue -> last ack; fanout_wall_s includes the CLI's start-up
  RSS              mosquitto and the console daemon (pos-fleet serve), after the fan-out
  list render      the dashboard's terminal list (all N, then offline only), median of 20 GETs

Targets on the 2-core machine: ack p95 <= 5 s for 500; list render <= 300 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.broker import CONSOLE_USER, password_line, start_broker, write_broker_config
from fleet.home import FleetHome
from fleet.keys import operator_key
from fleet.store import Store
from terminal.fleet.protocol import (
    Refused,
    iso,
    load_public_key,
    now_utc,
    topic,
    verify_command,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def status_for(tid: str, i: int) -> dict:
    return {"online": True, "terminalId": tid, "serial": f"SN-{i:05d}", "model": "POS-PI-1",
            "version": "0.1.0" if i % 10 else "0.0.9", "keyVersion": 1 + i % 3, "rotation": "idle",
            "health": {"printer": "ok", "journal": "ok", "scanner": "ok"}, "pendingPayments": int(i % 50 == 0),
            "cancelQueue": 0, "pendingRefunds": 0, "lastBatch": {"id": f"B-{i}", "closedAt": iso(now_utc())},
            "clockOffsetS": None, "locked": "", "faults": [], "counts": {"APPROVED": i % 7}, "sentAt": iso(now_utc())}


class Sim:
    def __init__(self, args, port: int, ca: Path, creds: dict[str, str], operator_pub):
        self.args, self.port, self.creds, self.pub = args, port, creds, operator_pub
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.stop = asyncio.Event()
        self.acks = 0
        self.refused = 0

    async def terminal(self, i: int, tid: str) -> None:
        import aiomqtt

        will = aiomqtt.Will(topic(tid, "status"), json.dumps({"online": False, "terminalId": tid}), qos=1, retain=True)
        for attempt in range(20):
            try:
                async with aiomqtt.Client("127.0.0.1", self.port, identifier=tid, username=tid,
                                          password=self.creds[tid], tls_context=self.ctx, clean_session=False,
                                          will=will, keepalive=120, timeout=60) as client:
                    await client.subscribe(topic(tid, "cmd"), qos=1)
                    await client.publish(topic(tid, "status"), json.dumps(status_for(tid, i)), qos=1, retain=True)
                    self.connected += 1
                    if self.connected == len(self.creds):
                        self.all_connected.set()
                    beat = asyncio.create_task(self._heartbeat(client, tid))
                    try:
                        async for message in client.messages:
                            try:
                                cmd = verify_command(message.payload, public_key=self.pub, terminal_id=tid)
                                ack = {"id": cmd["id"], "terminal": tid, "op": cmd["op"], "result": "ok",
                                       "detail": {"pong": True}, "at": iso(now_utc())}
                            except Refused as refused:
                                self.refused += 1
                                ack = {"id": refused.command_id, "terminal": tid, "op": "", "result": "refused",
                                       "detail": {"reason": refused.reason}, "at": iso(now_utc())}
                            await client.publish(topic(tid, "ack"), json.dumps(ack), qos=1)
                            self.acks += 1
                    finally:
                        beat.cancel()
                return
            except aiomqtt.MqttError:
                if self.stop.is_set():
                    return
                await asyncio.sleep(min(0.2 * 2 ** attempt, 5))

    async def _heartbeat(self, client, tid: str) -> None:
        while True:
            await asyncio.sleep(self.args.heartbeat_s)
            await client.publish(topic(tid, "heartbeat"), json.dumps({"counts": {}, "sentAt": iso(now_utc())}), qos=0)


async def count_heartbeats(port: int, ca: Path, password: str, window_s: float) -> float:
    import aiomqtt

    ctx = ssl.create_default_context(cafile=str(ca))
    n = 0
    async with aiomqtt.Client("127.0.0.1", port, identifier="bench-observer", username=CONSOLE_USER,
                              password=password, tls_context=ctx) as client:
        await client.subscribe("pos/t/+/heartbeat", qos=0)
        start = time.monotonic()
        try:
            async with asyncio.timeout(window_s):
                async for _ in client.messages:
                    n += 1
        except TimeoutError:
            pass
        return n / (time.monotonic() - start)


def login(base: str, password: str):
    import httpx

    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    r = client.post("/login", content=f"user=bench&password={password}",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    return client


def render_ms(client, path: str, n: int = 20) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        size = r.text.count("class='terminal'")
    return statistics.median(times), size


def start_console(tmp: Path, fleet: list[str], env: dict, web_port: int) -> subprocess.Popen:
    """`pos-fleet serve` in its own process, with a dashboard user."""
    (tmp / "pw").write_text("bench-password-123")
    subprocess.run([*fleet, "user", "add", "bench", "--password-file", str(tmp / "pw")], check=True, env=env)
    return subprocess.Popen([*fleet, "serve", "--web-port", str(web_port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main_async(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    home = FleetHome.at(str(tmp))
    files = write_broker_config(home.broker.directory, port=free_port())
    tids = [f"T-{i:05d}" for i in range(args.terminals)]
    creds = {tid: os.urandom(12).hex() for tid in tids}
    with files.passwd.open("a") as f:
        for tid, pw in creds.items():
            f.write(password_line(tid, pw) + "\n")
    broker = start_broker(files)
    pub = load_public_key(operator_key(home.root).public_key().public_bytes(
        __import__("cryptography").hazmat.primitives.serialization.Encoding.PEM,
        __import__("cryptography").hazmat.primitives.serialization.PublicFormat.SubjectPublicKeyInfo))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fleet = [sys.executable, "-c", "from fleet.cli import entry; entry()", "--dir", str(tmp)]
    web_port = free_port()
    console = start_console(tmp, fleet, env, web_port)
    sim = Sim(args, files.port(), files.ca, creds, pub)
    results: dict = {"terminals": args.terminals}
    try:
        await asyncio.sleep(2)            # the console's session is up before the storm
        t0 = time.monotonic()
        tasks = [asyncio.create_task(sim.terminal(i, tid)) for i, tid in enumerate(tids)]
        await asyncio.wait_for(sim.all_connected.wait(), timeout=300)
        results["connect_storm_s"] = round(time.monotonic() - t0, 2)
        store = Store(home.db)
        deadline = time.monotonic() + 60
        while len(store.terminals(offline=False)) < args.terminals and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        results["statuses_recorded"] = len(store.terminals(offline=False))
        with store.tx() as db:
            db.execute("UPDATE terminals SET grp='bench'")
        results["heartbeats_per_s"] = round(await count_heartbeats(files.port(), files.ca,
                                                                   files.read_credentials()[CONSOLE_USER],
                                                                   args.window_s), 1)
        results["heartbeats_expected_per_s"] = round(args.terminals / args.heartbeat_s, 1)
        t1 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(*fleet, "--json", "command", "--group", "bench", "ping", "--wait",
                                                    "120", env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        out, _err = await proc.communicate()
        results["fanout_wall_s"] = round(time.monotonic() - t1, 2)
        rows = json.loads(out) if out.strip() else []
        lat = [(datetime.fromisoformat(r["acked_at"]) - datetime.fromisoformat(r["issued_at"])).total_seconds()
               for r in rows if r.get("acked_at")]
        results["acks"] = f"{len(lat)}/{args.terminals}"
        if lat:
            first = min(datetime.fromisoformat(r["issued_at"]) for r in rows)
            last = max(datetime.fromisoformat(r["acked_at"]) for r in rows if r.get("acked_at"))
            results["fanout_all_acked_s"] = round((last - first).total_seconds(), 3)
            results.update({f"ack_p{p}_s": round(pct(lat, p), 3) for p in (50, 95, 99)})
        results["rss_mib"] = {"mosquitto": round(rss_mib(broker.pid), 1), "console": round(rss_mib(console.pid), 1)}
        client = login(f"http://127.0.0.1:{web_port}", "bench-password-123")
        ms, shown = render_ms(client, "/")
        ms_off, _ = render_ms(client, "/?offline=1")
        results["list_render_ms"] = {"all": round(ms, 1), "rows": shown, "offline_filter": round(ms_off, 1)}
        results["targets_met"] = {"ack_p95<=5s": results.get("ack_p95_s", 99) <= 5, "list<=300ms": ms <= 300}
        sim.stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        console.terminate()
        console.wait(10)
        broker.terminate()
        broker.wait(10)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--terminals", type=int, default=500)
    p.add_argument("--heartbeat-s", type=float, default=10)
    p.add_argument("--window-s", type=float, default=20)
    args = p.parse_args()
    print(json.dumps(asyncio.run(main_async(args)), indent=1))


if __name__ == "__main__":
    main()
