"""Replay protection: the ids of commands already accepted, kept until they expire.

The id is written (durably) BEFORE the command runs, so a command is executed at most once even
across a crash; the console re-issues a command that never got its ack under a new id.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from ..files import write_atomic
from .protocol import now_utc, parse_iso

SEEN_FILE = "fleet_seen.json"


class SeenCommands:
    def __init__(self, state_dir: Path):
        self._path = Path(state_dir) / SEEN_FILE
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text())
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return {}
        except ValueError:      # damaged: refuse nothing we cannot prove, but keep running
            return {}

    def claim(self, command_id: str, expires_at: str) -> bool:
        """True the first time an id is seen (and remembers it); False for a replay."""
        with self._lock:
            seen = self._load()
            if command_id in seen:
                return False
            now = now_utc()
            seen = {k: v for k, v in seen.items() if parse_iso(v) > now}   # expired ids are refused anyway
            seen[command_id] = expires_at
            write_atomic(self._path, json.dumps(seen, sort_keys=True).encode())
            return True
