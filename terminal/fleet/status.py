"""What the fleet sees of a terminal: the retained status and the event counters.

Everything is read from the Terminal (journal, printer, faults) on the agent's thread, never
from a sale's. Only counts and states leave the terminal: no transaction row, no code, no
amount tied to a payment.
"""
from __future__ import annotations

import json
import threading
from collections import Counter, deque
from pathlib import Path

from .. import __version__
from ..states import TxState
from .protocol import iso, now_utc

FINAL_COUNTED = {"APPROVED", "DECLINED", "CANCELLED", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED"}


class EventTap:
    """A journal listener that only bumps counters and queues fault codes (O(1), never blocks:
    it runs inside the journal's notification, on the sale's thread)."""

    def __init__(self, max_faults: int = 100):
        self.counts: Counter = Counter()
        self.faults: deque = deque(maxlen=max_faults)
        self.changed = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        kind, to = event.get("kind", ""), event.get("to", "")
        with self._lock:
            if kind == "fault":
                self.faults.append({"code": str(event.get("detail", {}).get("code", ""))[:64], "at": event.get("at")})
                self.changed.set()
            elif to in FINAL_COUNTED:
                self.counts[to] += 1
            elif to == TxState.CANCEL_PENDING.value:
                self.counts["CANCEL_QUEUED"] += 1
                self.changed.set()

    def drain_faults(self) -> list[dict]:
        with self._lock:
            out = list(self.faults)
            self.faults.clear()
            return out

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


def _rotation_state(state_dir: Path) -> str:
    try:
        return json.loads((state_dir / "rotation.json").read_text()).get("stage", "unknown")
    except FileNotFoundError:
        return "idle"
    except (OSError, ValueError):
        return "damaged"


def _device(ok: bool, status: str, message: str) -> str:
    return "ok" if ok else (f"{status}: {message}" if message else status)


def _health(terminal, extra) -> dict:
    """The terminal's one health policy (Terminal.health(), terminal/health.py) when it has it,
    so the fleet, the technician screen and /v1/status never disagree; plus host probes."""
    health = {}
    try:
        h = terminal.health()
        health["printer"] = _device(h.printer.ok, h.printer.status, h.printer.message)
    except Exception as exc:  # noqa: BLE001 - a broken probe is reported, never fatal
        health["printer"] = f"unknown: {exc}"
    health["journal"] = "fault" if any(f.startswith("JOURNAL") for f in terminal.faults) else "ok"
    for name, probe in (extra or {}).items():
        try:
            health[name] = probe()
        except Exception as exc:  # noqa: BLE001 - a broken probe is reported, never fatal
            health[name] = f"unknown: {exc}"
    return health


def collect_status(terminal, *, terminal_id: str, state_dir: Path, locked: str, extra_health=None,
                   counts: dict | None = None) -> dict:
    pending, _refunds = terminal.pending()
    closed = terminal.last_closed_batch()
    return {
        "online": True,
        "terminalId": terminal_id,
        "serial": terminal.settings.serial_number,
        "model": terminal.settings.model,
        "version": __version__,
        "keyVersion": terminal.upkeep.key_version(),   # a live rotation changes it without a restart
        "rotation": _rotation_state(state_dir),
        "health": _health(terminal, extra_health),
        "pendingPayments": len(pending),
        "cancelQueue": sum(1 for t in pending if t.state == TxState.CANCEL_PENDING),
        "pendingRefunds": terminal.notices.pending_refund_count(),
        "lastBatch": {"id": closed["id"], "closedAt": closed["closed_at"]} if closed else None,
        "clockOffsetS": terminal.upkeep.clock_offset_s(),
        "locked": locked,
        "faults": list(terminal.faults)[-10:],
        "counts": counts or {},
        "sentAt": iso(now_utc()),
    }
