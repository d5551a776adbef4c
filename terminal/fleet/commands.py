"""Executing fleet commands on the terminal: verify, claim (replay), run, acknowledge, audit.

Every command and its outcome is written to the audit trail (actor `fleet:<operator>`), refused
ones too (actor `fleet:unverified` when the signature did not verify). Commands that move money
or keys (close batch, rotate key, apply config) run through the Terminal's own operations, which
wait for a sale in flight to finish; none of them ever interrupts one.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import TerminalError
from . import staged_config
from .protocol import (
    CHUNK_BYTES,
    DESTRUCTIVE,
    Refused,
    iso,
    load_public_key,
    now_utc,
    verify_command,
)
from .seen import SeenCommands

log = logging.getLogger("terminal.fleet")
OPERATOR_KEY = "fleet_operator.pub"
CONFIRM_TTL_S = 600
AUDIT_RESULT = {"ok": "ok", "staged": "ok", "started": "started", "failed": "failed", "refused": "refused", "unsupported": "refused",
                "confirm": "refused"}


class Outcome(Exception):
    """Raised by a handler to end with a result other than ok."""

    def __init__(self, result: str, detail: dict):
        super().__init__(result)
        self.result, self.detail = result, detail


class CommandExecutor:
    def __init__(self, terminal, *, terminal_id: str, state_dir: Path, publish: Callable[[str, dict], None],
                 host=None):
        self.terminal = terminal
        self.terminal_id = terminal_id
        self.state_dir = Path(state_dir)
        self.publish = publish            # (leaf, payload) -> None, e.g. ("logs", chunk)
        self.host = host                  # restart()/stop() of the running service, if it offers them
        self.seen = SeenCommands(self.state_dir)
        self.audit = terminal.audit
        self._confirmations: dict[str, tuple[str, float]] = {}

    # -- entry point --------------------------------------------------------------------------
    def handle(self, payload: bytes) -> dict:
        """One message from the cmd topic -> the ack to publish (never raises)."""
        try:
            cmd = self._verify(payload)
        except Refused as refused:
            self.audit.record("fleet:unverified" if refused.reason in ("BAD_SIGNATURE", "MALFORMED", "NO_OPERATOR_KEY")
                              else "fleet", "fleet.refused", result="refused", command=refused.command_id,
                              reason=refused.reason)
            log.warning("fleet command refused: %s (%s)", refused.reason, refused.message)
            return self._ack(refused.command_id, "", "refused", {"reason": refused.reason, "message": refused.message})
        actor, op = f"fleet:{str(cmd.get('operator', ''))[:64]}", cmd["op"]
        try:
            detail = getattr(self, f"op_{op}")(cmd["args"], cmd)
            result = "ok"
        except Outcome as out:
            result, detail = out.result, out.detail
        except TerminalError as exc:
            result, detail = "failed", {"code": exc.code, "message": exc.message}
        except Exception as exc:     # a bug in one command must not stop the agent
            log.exception("fleet command %s failed", op)
            result, detail = "failed", {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}"}
        self.audit.record(actor, f"fleet.{op}", result=AUDIT_RESULT[result], command=cmd["id"], outcome=result,
                          **{k: v for k, v in detail.items() if k in ("code", "reason", "version", "keyVersion")})
        return self._ack(cmd["id"], op, result, detail)

    def _verify(self, payload: bytes) -> dict:
        try:
            key = load_public_key((self.state_dir / OPERATOR_KEY).read_bytes())
        except (OSError, ValueError):
            raise Refused("NO_OPERATOR_KEY", f"no fleet operator key pinned ({OPERATOR_KEY} in the state dir)") from None
        cmd = verify_command(payload, public_key=key, terminal_id=self.terminal_id)
        if not self.seen.claim(cmd["id"], cmd["expiresAt"]):
            raise Refused("REPLAYED", f"command {cmd['id']} was already received", cmd["id"])
        return cmd

    def _ack(self, command_id: str, op: str, result: str, detail: dict) -> dict:
        return {"id": command_id, "terminal": self.terminal_id, "op": op, "result": result, "detail": detail,
                "at": iso(now_utc())}

    # -- commands -----------------------------------------------------------------------------
    def op_ping(self, args, cmd) -> dict:
        return {"pong": True}

    def op_diagnose(self, args, cmd) -> dict:
        from ..diagnostics import run_diagnostics

        report = run_diagnostics(str(self.terminal.settings.config_source), network=bool(args.get("network", True)))
        return report.to_api()

    def op_close_batch(self, args, cmd) -> dict:
        return self.terminal.close_batch().to_api()

    def op_lock(self, args, cmd) -> dict:
        reason = str(args.get("reason") or "locked by the fleet")[:200]
        self.terminal.lock(reason)
        staged_config.save_lock(self.state_dir, reason)
        return {"locked": reason}

    def op_unlock(self, args, cmd) -> dict:
        self.terminal.unlock()
        staged_config.save_lock(self.state_dir, "")
        return {"locked": ""}

    def op_rotate_key(self, args, cmd) -> dict:
        upkeep = self.terminal.upkeep
        if not upkeep.can_rotate_key:
            raise Outcome("refused", {"reason": "NOT_PROVISIONED", "message": "the demo profile has no key to rotate"})
        outcome = upkeep.rotate_key(actor=f"fleet:{cmd.get('operator', '')}"[:70])   # between payments, switched live
        return {"oldKeyVersion": outcome.old_version, "keyVersion": outcome.new_version}

    def op_set_config(self, args, cmd) -> dict:
        changes = args.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise Outcome("refused", {"reason": "BAD_ARGS", "message": "args.changes must be a non-empty table"})
        try:
            staged = staged_config.stage(self.terminal.upkeep.configuration(), changes, command_id=cmd["id"])
        except ValueError as exc:
            raise Outcome("refused", {"reason": "INVALID_CONFIG", "message": str(exc)}) from None
        if getattr(self.host, "restart", None) is not None and args.get("restart", True):
            return {"staged": staged.name, "applies": "restarting as soon as no payment is in progress or open "
                                                      "(rolled back if it cannot start)", "restartWhenIdle": True}
        return {"staged": staged.name, "applies": "at the next start (rolled back if it cannot start)"}

    def op_restart(self, args, cmd) -> dict:
        """Acknowledged first; the agent then asks the host to restart (after the ack is out)."""
        if getattr(self.host, "restart", None) is None:
            raise Outcome("unsupported", {"reason": "NO_SUPERVISOR", "message": "this process cannot restart itself "
                                          "(only `pos-terminal control` under systemd can)"})
        return {"restarting": True}

    def op_update(self, args, cmd) -> dict:
        """`pos-terminal update --version V` (the release bundle copied to <root>/bundles/V by the
        image tooling) or `update WHEEL` (a wheel already on the device); terminal/updater.py
        refuses while payments are open and rolls back by itself if the new release is unhealthy.
        Releases are not shipped over MQTT."""
        version, wheel = str(args.get("version", "")), str(args.get("wheel", ""))
        if importlib.util.find_spec("terminal.cli.cmd_update") is None:
            raise Outcome("unsupported", {"reason": "NO_UPDATER", "message": "this build has no `pos-terminal update`"})
        if bool(version) == bool(wheel) or (wheel and not Path(wheel).is_file()):
            raise Outcome("refused", {"reason": "BAD_ARGS", "message": "pass args.version (a bundle in "
                                      "<root>/bundles/<version>) or args.wheel (a release wheel on the device)"})
        argv = [sys.executable, "-m", "terminal.cli.main", "--json", "--config", str(self.terminal.settings.config_source),
                "update", *(["--version", version] if version else [wheel])]
        if os.environ.get("INVOCATION_ID"):
            # Under systemd the update stops this very service, and `systemctl stop` ends every
            # process of the unit: run it as its own transient unit, outside the service, and
            # report it started; the new version shows in the status once the service is back.
            unit = f"pos-terminal-update-{cmd['id']}"[:200]
            run = subprocess.run(["systemd-run", f"--unit={unit}", "--collect", "--no-block", *argv],
                                 capture_output=True, text=True, timeout=60, check=False)
            if run.returncode != 0:
                raise Outcome("failed", {"exitCode": run.returncode, "output": (run.stdout + run.stderr)[-2000:]})
            raise Outcome("started", {"unit": unit, "version": version or Path(wheel).name,
                                      "follow": f"journalctl -u {unit}"})
        run = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
        detail = {"exitCode": run.returncode, "version": version or Path(wheel).name,
                  "output": (run.stdout + run.stderr)[-2000:]}
        if run.returncode != 0:
            raise Outcome("failed", detail)
        return detail

    def op_collect_logs(self, args, cmd) -> dict:
        from ..log_export import export_logs

        with tempfile.TemporaryDirectory() as tmp:
            path, members = export_logs(str(self.terminal.settings.config_source), output=Path(tmp) / "bundle.tar.gz",
                                        network=False, cwd=Path(tmp))
            data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        chunks = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
        for seq, chunk in enumerate(chunks):
            self.publish("logs", {"command": cmd["id"], "seq": seq, "total": len(chunks), "sha256": digest,
                                  "data": base64.b64encode(chunk).decode()})
        return {"bytes": len(data), "chunks": len(chunks), "sha256": digest, "files": members}

    def op_factory_reset(self, args, cmd) -> dict:
        """Destructive: the first command gets a one-time confirmation code in its ack; a second
        command carrying that code (within 10 minutes) performs the reset."""
        assert cmd["op"] in DESTRUCTIVE
        code = str(args.get("confirmation", ""))
        expected = self._confirmations.get(cmd["op"])
        if not code or expected is None or expected[1] < time.monotonic() or not secrets.compare_digest(code, expected[0]):
            new = f"{secrets.randbelow(10**6):06d}"
            self._confirmations[cmd["op"]] = (new, time.monotonic() + CONFIRM_TTL_S)
            raise Outcome("confirm", {"reason": "CONFIRMATION_REQUIRED", "confirmation": new,
                                      "message": "send factory_reset again with args.confirmation within 10 minutes"})
        self._confirmations.pop(cmd["op"], None)
        from ..factory_reset import factory_reset, plan_reset

        plan = plan_reset(self.terminal.upkeep.configuration())
        if plan.blockers:
            raise Outcome("refused", {"reason": "OPEN_TRANSACTIONS", "message": "; ".join(plan.blockers)})
        stop = getattr(self.host, "stop", None)
        removed = factory_reset(self.terminal.upkeep.configuration(), plan=plan)
        if stop:
            stop()
        return {"removed": len(removed)}
