"""`pos-fleet`: the fleet console's command line (docs/fleet.md).

  pos-fleet [--dir D] [--json] broker --port P        write the Mosquitto config and run it
  pos-fleet serve [--web-port 8080]                   listen to the fleet, enrol, serve the dashboard
  pos-fleet terminals [--offline] [--unresolved] [--group G] [--version V] [--key-older-than DAYS]
  pos-fleet command (TERMINAL | --group G) OP [--arg k=v ...] [--wait S]
  pos-fleet enrol register|approve SERIAL --activation-code C --acquirer URL --acquirer-key PEM ...
  pos-fleet enrol list [--waiting]
  pos-fleet enrol golden --out DIR --broker mqtts://host:port   files for a golden image
  pos-fleet group TERMINAL GROUP ; pos-fleet user add NAME --password-file F

Exit codes: 0 done; 1 a command was refused or failed on a terminal; 2 bad usage; 3 broker or
console fault; 4 no ack in time (the command stays queued for the terminal).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from terminal.fleet.protocol import DESTRUCTIVE, OPS

from .home import FleetHome

if TYPE_CHECKING:
    from .store import Store


def _out(args: argparse.Namespace, data: object, text: str) -> None:
    sys.stdout.write((json.dumps(data, indent=1, default=str) if args.json else text) + "\n")


def _store(home: FleetHome) -> Store:
    from .store import Store

    return Store(home.db)


def cmd_broker(args: argparse.Namespace) -> int:
    from .broker import mosquitto_binary, write_broker_config

    home = FleetHome.at(args.dir)
    files = write_broker_config(home.broker.directory, port=args.port, host=args.host,
                                server_names=args.server_name or None)
    _out(args, {"config": str(files.conf), "ca": str(files.ca), "port": args.port},
         f"mosquitto configuration: {files.conf}\nterminals trust: {files.ca} (fleet.ca_bundle)")
    if args.write_only:
        return 0
    sys.stdout.flush()
    os.execv(mosquitto_binary(), [mosquitto_binary(), "-c", str(files.conf)])
    return 0


def _parse_args_kv(pairs: list[str], raw: str | None) -> dict:
    out = json.loads(raw) if raw else {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--arg {pair!r}: use key=value")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def cmd_command(args: argparse.Namespace) -> int:
    from .bus import Console

    home = FleetHome.at(args.dir)
    store = _store(home)
    targets = [args.terminal] if args.terminal else [t["id"] for t in store.terminals(group=args.group)]
    if not targets:
        raise SystemExit(f"no terminal in group {args.group!r}")
    cmd_args = _parse_args_kv(args.arg, args.args_json)
    if args.op in DESTRUCTIVE and "confirmation" not in cmd_args:
        sys.stderr.write(f"note: {args.op} is destructive: the terminal answers with a confirmation code; send "
                         f"it again with --arg confirmation=CODE\n")
    console = Console(home, store).start()
    try:
        sent = [e["cmd"]["id"] for e in console.send_many(targets, args.op, cmd_args, operator=args.operator,
                                                          lifetime_s=args.lifetime)]
        rows = console.wait_acks(sent, args.wait) if args.wait else {cid: store.command(cid) for cid in sent}
    finally:
        console.stop()
    results = [r for r in rows.values() if r is not None]    # None: a command id the store does not know
    lines = [f"{r['terminal']}: {r['op']} {r['state']}" + (f" -> {r['result']} {json.dumps(r['detail'])}"
                                                          if r["result"] else "") for r in results]
    _out(args, results, "\n".join(lines))
    if any(r["state"] != "acked" for r in results):
        return 4 if args.wait else 0
    return 0 if all(r["result"] in ("ok", "staged") for r in results) else 1


def cmd_terminals(args: argparse.Namespace) -> int:
    store = _store(FleetHome.at(args.dir))
    offline = True if args.offline else (False if args.online else None)
    rows = store.terminals(offline=offline, unresolved=args.unresolved, group=args.group or "",
                           version=args.version or "", key_older_than_days=args.key_older_than)
    text = "\n".join(f"{t['id']:<24} {'online ' if t['online'] else 'OFFLINE'} {t['grp'] or '-':<10} "
                     f"v{t['version'] or '?'} key {t['key_version'] or '?'} pending {t['pending']} "
                     f"seen {t['last_seen'] or 'never'}" for t in rows) or "no terminal matches"
    _out(args, rows, text)
    return 0


def _read(path: str | None) -> str:
    return Path(path).read_text() if path else ""


def cmd_enrol(args: argparse.Namespace) -> int:
    from .enrolment import registration

    home = FleetHome.at(args.dir)
    store = _store(home)
    if args.enrol_cmd == "list":
        rows = store.enrolments("waiting" if args.waiting else "")
        _out(args, rows, "\n".join(f"{r['serial']:<20} {r['state']:<10} {r['terminal_id'] or '-':<20} "
                                   f"last hello {r['last_seen'] or '-'}" for r in rows) or "no enrolment")
        return 0
    if args.enrol_cmd == "golden":
        return _golden(args, home)
    pins = {}
    for role, path in (("manager", args.manager_pin_file), ("technician", args.technician_pin_file)):
        if path:
            pins[role] = Path(path).read_text().strip()
    template = tomllib.loads(_read(args.template)) if args.template else {}
    try:
        reg = registration(activation_code=args.activation_code, acquirer=args.acquirer,
                           acquirer_key_pem=_read(args.acquirer_key), acquirer_ca_pem=_read(args.ca_bundle),
                           template=template, terminal_id=args.terminal_id or "", pins=pins)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    before = store.enrolment(args.serial)
    store.register_serial(args.serial, reg, group=args.group or "")
    issued = False
    if before is not None and before["state"] == "waiting":      # the device is listening: answer it now
        from .bus import Console
        from .enrolment import Enroller

        console = Console(home, store).start()
        try:
            info = Enroller(home, store).issue(args.serial, console)
            if info is not None:
                info.wait_for_publish(timeout=10)
                issued = True
        finally:
            console.stop()
    _out(args, {"serial": args.serial, "state": "issued" if issued else "registered"},
         f"serial {args.serial} " + ("approved: credentials sent to the waiting device" if issued
                                     else "registered: it enrols at its next hello"))
    return 0


def _golden(args: argparse.Namespace, home: FleetHome) -> int:
    """What a golden image needs to enrol: the broker's CA, the enrolment account, a [fleet] table."""
    from .broker import ENROL_USER

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fleet_ca.pem").write_bytes(home.broker.ca.read_bytes())
    creds = out / "fleet_enrol_credentials"
    creds.write_text(f"{ENROL_USER}:{home.broker.read_credentials()[ENROL_USER]}\n")
    os.chmod(creds, 0o600)
    snippet = (f'[fleet]\nbroker = "{args.broker}"\nca_bundle = "fleet_ca.pem"\n'
               f'enrol_credentials = "fleet_enrol_credentials"\n')
    (out / "fleet.toml").write_text(snippet)
    _out(args, {"dir": str(out)}, f"golden image files in {out}: add fleet.toml's table to the image's configuration")
    return 0


def cmd_group(args: argparse.Namespace) -> int:
    _store(FleetHome.at(args.dir)).set_group(args.terminal, args.group)
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    from .web import add_user

    password = Path(args.password_file).read_text().strip()
    if len(password) < 10:
        raise SystemExit("dashboard passwords need at least 10 characters")
    add_user(_store(FleetHome.at(args.dir)), args.name, password)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .service import serve

    return serve(FleetHome.at(args.dir), web_host=args.web_host, web_port=args.web_port)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pos-fleet", description="Fleet console for pos-terminal (MQTT)")
    p.add_argument("--dir", help="console directory (default $POS_FLEET_DIR or ./fleet-data)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("broker", help="write a Mosquitto config (TLS, ACL, persistence) and run it")
    b.add_argument("--port", type=int, default=8883)
    b.add_argument("--host", default="127.0.0.1", help="listen address (0.0.0.0 for a store network)")
    b.add_argument("--server-name", action="append", help="DNS name or IP terminals use (repeatable)")
    b.add_argument("--write-only", action="store_true", help="write the configuration, do not run mosquitto")
    b.set_defaults(func=cmd_broker)

    s = sub.add_parser("serve", help="the console: listen to the fleet, enrol, serve the dashboard")
    s.add_argument("--web-host", default="127.0.0.1")
    s.add_argument("--web-port", type=int, default=8080)
    s.set_defaults(func=cmd_serve)

    t = sub.add_parser("terminals", help="list terminals with filters")
    t.add_argument("--offline", action="store_true")
    t.add_argument("--online", action="store_true")
    t.add_argument("--unresolved", action="store_true", help="with unresolved payments or refunds")
    t.add_argument("--group")
    t.add_argument("--version")
    t.add_argument("--key-older-than", type=int, metavar="DAYS")
    t.set_defaults(func=cmd_terminals)

    c = sub.add_parser("command", help="send a signed command to a terminal or a group")
    c.add_argument("terminal", nargs="?")
    c.add_argument("op", choices=OPS)
    c.add_argument("--group")
    c.add_argument("--arg", action="append", metavar="KEY=VALUE", help="a JSON value or a string (repeatable)")
    c.add_argument("--args-json", help="all arguments as one JSON object")
    c.add_argument("--wait", type=float, default=30, help="seconds to wait for acks (0: do not wait)")
    c.add_argument("--lifetime", type=int, default=24 * 3600, help="seconds the command stays valid")
    c.add_argument("--operator", default=os.environ.get("USER", "cli"))
    c.set_defaults(func=cmd_command)

    e = sub.add_parser("enrol", help="zero-touch enrolment")
    es = e.add_subparsers(dest="enrol_cmd", required=True)
    for name in ("register", "approve"):
        r = es.add_parser(name, help="pre-register (or approve a waiting) serial")
        r.add_argument("serial")
        r.add_argument("--activation-code", required=True)
        r.add_argument("--acquirer", required=True, metavar="URL")
        r.add_argument("--acquirer-key", required=True, metavar="PEM")
        r.add_argument("--ca-bundle", metavar="PEM", help="CA the acquirer's TLS certificate chains to")
        r.add_argument("--template", metavar="TOML", help="configuration template (scanner, printer, ui, ...)")
        r.add_argument("--group", default="")
        r.add_argument("--terminal-id", help="fleet terminal id (default T-<serial>)")
        r.add_argument("--manager-pin-file")
        r.add_argument("--technician-pin-file")
        r.set_defaults(func=cmd_enrol)
    lst = es.add_parser("list", help="registrations and waiting serials")
    lst.add_argument("--waiting", action="store_true")
    lst.set_defaults(func=cmd_enrol)
    g = es.add_parser("golden", help="files a golden image needs to enrol")
    g.add_argument("--out", required=True)
    g.add_argument("--broker", required=True, help="mqtts://host:port as the terminals reach it")
    g.set_defaults(func=cmd_enrol)

    gr = sub.add_parser("group", help="put a terminal in a group")
    gr.add_argument("terminal")
    gr.add_argument("group")
    gr.set_defaults(func=cmd_group)

    u = sub.add_parser("user", help="dashboard users")
    us = u.add_subparsers(dest="user_cmd", required=True)
    ua = us.add_parser("add")
    ua.add_argument("name")
    ua.add_argument("--password-file", required=True)
    ua.set_defaults(func=cmd_user)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            sys.stderr.write(f"error: {exc.code}\n")
            return 3
        raise


def entry() -> None:
    sys.exit(main())
