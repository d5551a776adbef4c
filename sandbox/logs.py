"""Structured logging: one JSON object per line on the `sandbox` logger.

A decrypted payment code is never logged: callers pass only `mask()`ed forms.
"""
from __future__ import annotations

import json
import logging

from .wallets import mask  # first 6 + stars + last 2

logger = logging.getLogger("sandbox")

__all__ = ["JsonLineFormatter", "log_event", "mask"]


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({"event": event, **fields}, sort_keys=True, default=str))


class JsonLineFormatter(logging.Formatter):
    """Wraps records that are not already JSON so every line of output is one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{"):
            try:
                payload = json.loads(message)
            except ValueError:
                payload = {"message": message}
        else:
            payload = {"message": message}
        payload.update({"ts": self.formatTime(record), "level": record.levelname, "logger": record.name})
        return json.dumps(payload, sort_keys=True, default=str)
