"""The fleet dashboard: server-rendered HTML (no front-end build step), login required.

Pages: the terminal list with filters (offline, unresolved payments, key age, version, group),
a terminal's detail page (status, command history, events, send a command) and a bulk command
to a group. Sessions are HMAC-signed cookies (12 h); every form carries a CSRF token bound to
the session. Passwords are scrypt hashes in the console's store.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from terminal.fleet.protocol import OPS

from .login_guard import LoginGuard

if TYPE_CHECKING:
    from .store import Store

SESSION_S = 12 * 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
COOKIE = "fleet_session"


def add_user(store: Store, name: str, password: str) -> None:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    with store.tx() as db:
        db.execute("INSERT INTO users(name, pw_hash) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET pw_hash=excluded.pw_hash",
                   (name, f"{salt.hex()}${digest.hex()}"))


def check_user(store: Store, name: str, password: str) -> bool:
    rows = store.query("SELECT pw_hash FROM users WHERE name=?", (name,))
    stored = rows[0]["pw_hash"] if rows else f"{'00' * 16}${'00' * 64}"   # same work for unknown users
    salt, digest = stored.split("$")
    ok = hmac.compare_digest(hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex(), digest)
    return ok and bool(rows)


e = html.escape
STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}.off{color:#b00;font-weight:bold}
.on{color:#070}form.inline{display:inline}nav a{margin-right:1em}.bad{color:#b00}pre{background:#f4f4f4;padding:6px}"""


def page(title: str, body: str, user: str = "") -> HTMLResponse:
    nav = (f'<nav><a href="/">Terminals</a><a href="/enrolments">Enrolments</a>'
           f'<form class="inline" method="post" action="/logout"><button>Log out {e(user)}</button></form></nav>'
           if user else "")
    return HTMLResponse(f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)} - pos-fleet</title>"
                        f"<style>{STYLE}</style></head><body>{nav}<h1>{e(title)}</h1>{body}</body></html>")


def create_app(store: Store, *, secret: bytes, send: Callable[[list[str], str, dict, str], list[dict]] | None,
               guard: LoginGuard | None = None) -> FastAPI:
    """`send(terminal_ids, op, args, operator)` -> the signed envelopes (fleet.bus.Console.send_many)."""
    app = FastAPI(title="pos-fleet", docs_url=None, redoc_url=None, openapi_url=None)
    guard = guard or LoginGuard()

    def sign(value: str) -> str:
        return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()

    def session_user(request: Request) -> str:
        raw = request.cookies.get(COOKIE, "")
        try:
            user, expiry, mac = raw.rsplit(":", 2)
        except ValueError:
            return ""
        if not hmac.compare_digest(mac, sign(f"{user}:{expiry}")) or int(expiry) < time.time():
            return ""
        return user

    def csrf(request: Request) -> str:
        return sign("csrf:" + request.cookies.get(COOKIE, ""))

    async def form(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    def login_redirect() -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    @app.get("/login")
    def login_page(error: str = "") -> HTMLResponse:
        msg = f"<p class='bad'>{e(error)}</p>" if error else ""
        return page("Log in", f"""{msg}<form method="post" action="/login">
<label>User <input name="user" id="user" autofocus></label>
<label>Password <input name="password" id="password" type="password"></label>
<button id="login">Log in</button></form>""")

    @app.post("/login")
    async def login(request: Request) -> Response:
        data = await form(request)
        user = data.get("user", "")
        keys = guard.keys(user, request.client.host if request.client else "")
        wait_s = guard.wait_s(keys)
        if wait_s > 0:                       # refused before the password is hashed
            minutes = int(wait_s // 60) + 1
            return RedirectResponse("/login?" + urlencode({"error": f"too many failed logins: try again in {minutes} "
                                                                    "min, or ask another administrator"}),
                                    status_code=303)
        if not await run_in_threadpool(check_user, store, user, data.get("password", "")):   # scrypt: off the loop
            guard.failed(keys)
            return RedirectResponse("/login?" + urlencode({"error": "wrong user or password"}), status_code=303)
        guard.succeeded(keys)
        expiry = int(time.time()) + SESSION_S
        value = f"{data['user']}:{expiry}"
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, f"{value}:{sign(value)}", httponly=True, samesite="strict", max_age=SESSION_S)
        return response

    @app.post("/logout")
    def logout() -> Response:
        response = login_redirect()
        response.delete_cookie(COOKIE)
        return response

    @app.get("/")
    def terminals(request: Request, offline: str = "", unresolved: str = "", group: str = "", version: str = "",
                  key_age: str = "") -> Response:
        user = session_user(request)
        if not user:
            return login_redirect()
        days = int(key_age) if key_age.isdigit() else None
        rows = store.terminals(offline=True if offline else None, unresolved=bool(unresolved), group=group,
                               version=version, key_older_than_days=days)
        groups = [r["grp"] for r in store.query("SELECT DISTINCT grp FROM terminals WHERE grp != '' ORDER BY grp")]
        checked = {True: "checked", False: ""}
        filters = f"""<form method="get" action="/" id="filters">
<label><input type="checkbox" name="offline" value="1" id="f-offline" {checked[bool(offline)]}> offline</label>
<label><input type="checkbox" name="unresolved" value="1" id="f-unresolved" {checked[bool(unresolved)]}> unresolved payments</label>
<label>group <select name="group" id="f-group"><option value="">any</option>{''.join(
            f'<option {"selected" if g == group else ""}>{e(g)}</option>' for g in groups)}</select></label>
<label>version <input name="version" size="8" value="{e(version)}"></label>
<label>key older than <input name="key_age" size="3" value="{e(key_age)}"> days</label>
<button id="apply">Filter</button></form>"""
        body_rows = "".join(
            f"<tr class='terminal'><td><a href='/t/{e(t['id'])}'>{e(t['id'])}</a></td><td>{e(t['serial'] or '')}</td>"
            f"<td>{e(t['grp'])}</td><td class='{'on' if t['online'] else 'off'}'>{'online' if t['online'] else 'offline'}</td>"
            f"<td>{e(str(t['version'] or ''))}</td><td>{e(str(t['key_version'] or ''))}</td><td>{t['pending']}</td>"
            f"<td>{e(str(t['status'].get('locked') or ''))}</td><td class='bad'>{e(_problems(t['status']))}</td>"
            f"<td>{e(t['last_seen'] or 'never')}</td></tr>"
            for t in rows)
        bulk = ""
        if group and send is not None:
            bulk = f"""<form method="post" action="/bulk" id="bulk"><input type="hidden" name="csrf" value="{csrf(request)}">
<input type="hidden" name="group" value="{e(group)}">Send to all {len(rows)} terminal(s) of group {e(group)}:
{_op_select()} args (JSON) <input name="args" value="{{}}" size="30"><button id="bulk-send">Send</button></form>"""
        table = (f"<p id='count'>{len(rows)} terminal(s)</p><table id='terminals'><tr><th>terminal</th><th>serial</th>"
                 f"<th>group</th><th>state</th><th>version</th><th>key</th><th>pending</th><th>locked</th>"
                 f"<th>problems</th><th>last seen</th></tr>{body_rows}</table>")
        return page("Terminals", filters + bulk + table, user)

    @app.get("/t/{terminal_id}")
    def detail(request: Request, terminal_id: str, sent: str = "") -> Response:
        user = session_user(request)
        if not user:
            return login_redirect()
        t = store.terminal(terminal_id)
        if t is None:
            return page("Not found", f"<p>No terminal {e(terminal_id)}.</p>", user)
        status = "".join(f"<tr><th>{e(k)}</th><td>{e(json.dumps(v) if isinstance(v, (dict, list)) else str(v))}</td></tr>"
                         for k, v in t["status"].items())
        history = "".join(
            f"<tr class='command'><td>{e(c['issued_at'])}</td><td>{e(c['op'])}</td><td>{e(json.dumps(c['args']))}</td>"
            f"<td>{e(c['operator'])}</td><td>{e(c['state'])}</td><td>{e(c['result'] or '')}</td>"
            f"<td>{e(json.dumps(c['detail'])[:300] if c['detail'] else '')}</td></tr>" for c in store.commands(terminal_id))
        events = "".join(f"<tr><td>{e(ev['at'])}</td><td>{e(json.dumps(ev['body'])[:300])}</td></tr>"
                         for ev in store.events(terminal_id, limit=20))
        notice = f"<p id='sent'>Command {e(sent)} sent.</p>" if sent else ""
        command_form = "" if send is None else f"""<form method="post" action="/t/{e(terminal_id)}/command" id="command">
<input type="hidden" name="csrf" value="{csrf(request)}">{_op_select()} args (JSON) <input name="args" value="{{}}" size="30">
<button id="send">Send</button></form>"""
        state = "online" if t["online"] else "offline"
        return page(f"Terminal {terminal_id}", f"""{notice}<p>{state}, group {e(t['grp'] or '-')}, last seen
{e(t['last_seen'] or 'never')}, clock offset {e(str(t['clock_offset_s']))} s</p>{command_form}
<h2>Commands</h2><table id="history"><tr><th>issued</th><th>op</th><th>args</th><th>operator</th><th>state</th>
<th>result</th><th>detail</th></tr>{history}</table><h2>Status</h2><table>{status}</table>
<h2>Events</h2><table>{events}</table>""", user)

    def _checked_form(request: Request, data: dict) -> tuple[str, dict] | Response:
        if not hmac.compare_digest(data.get("csrf", ""), csrf(request)):
            return page("Refused", "<p class='bad'>The form expired: go back and try again.</p>", session_user(request))
        if data.get("op") not in OPS:
            return page("Refused", "<p class='bad'>Unknown command.</p>", session_user(request))
        try:
            args = json.loads(data.get("args") or "{}")
        except ValueError:
            args = None
        if not isinstance(args, dict):
            return page("Refused", "<p class='bad'>args must be a JSON object, e.g. {\"reason\": \"audit\"}.</p>",
                        session_user(request))
        return data["op"], args

    @app.post("/t/{terminal_id}/command")
    async def command(request: Request, terminal_id: str) -> Response:
        user = session_user(request)
        if not user or send is None:
            return login_redirect()
        checked = _checked_form(request, await form(request))
        if isinstance(checked, Response):
            return checked
        (envelope,) = send([terminal_id], checked[0], checked[1], f"web:{user}")
        return RedirectResponse(f"/t/{terminal_id}?sent={envelope['cmd']['id']}", status_code=303)

    @app.post("/bulk")
    async def bulk(request: Request) -> Response:
        user = session_user(request)
        if not user or send is None:
            return login_redirect()
        data = await form(request)
        checked = _checked_form(request, data)
        if isinstance(checked, Response):
            return checked
        targets = store.terminals(group=data.get("group", ""))
        ids = [e["cmd"]["id"] for e in send([t["id"] for t in targets], checked[0], checked[1], f"web:{user}")]
        return page("Bulk command sent", f"<p id='bulk-result'>{e(checked[0])} sent to {len(ids)} terminal(s) of "
                    f"group {e(data.get('group', ''))}.</p><p><a href='/?group={e(data.get('group', ''))}'>back</a></p>",
                    user)

    @app.get("/enrolments")
    def enrolments(request: Request) -> Response:
        user = session_user(request)
        if not user:
            return login_redirect()
        rows = "".join(f"<tr><td>{e(r['serial'])}</td><td>{e(r['state'])}</td><td>{e(r['terminal_id'] or '')}</td>"
                       f"<td>{e(r['grp'])}</td><td>{e(r['last_seen'] or '')}</td></tr>" for r in store.enrolments())
        return page("Enrolments", "<p>Approve a waiting serial with <code>pos-fleet enrol approve SERIAL ...</code>.</p>"
                    f"<table><tr><th>serial</th><th>state</th><th>terminal</th><th>group</th><th>last hello</th></tr>"
                    f"{rows}</table>", user)

    return app


def _problems(status: dict) -> str:
    """Health entries that are not fine, faults, a cancel queue: what a technician acts on."""
    fine = ("ok", "ready", "online", "idle")
    out = [f"{k}: {v}" for k, v in (status.get("health") or {}).items()
           if not str(v).lower().startswith(fine)]
    out += [str(f) for f in status.get("faults") or []]
    if status.get("cancelQueue"):
        out.append(f"{status['cancelQueue']} cancel(s) queued")
    if status.get("rotation") not in (None, "idle"):
        out.append(f"key rotation {status['rotation']}")
    return "; ".join(out)


def _op_select() -> str:
    return "<select name='op' id='op'>" + "".join(f"<option>{op}</option>" for op in OPS) + "</select>"
