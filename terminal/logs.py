"""Structured logs: JSON lines on stderr (journald picks them up), plus a rotating file in the
state directory (journald on a Raspberry Pi is often volatile). Payment codes never appear: the
core only ever has masked codes in hand when it logs, and as a last line of defence every
handler masks any run of 16-24 digits (first 6 + stars + last 2)."""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from drivers.masking import mask

OPERATIONS = "terminal.operations"     # terminal/oplog.py's logger
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


_CODE_RUN = re.compile(r"(?<![0-9])[0-9]{16,24}(?![0-9])")
LOG_DIR = "logs"
LOG_FILE = "terminal.log"
LOG_MAX_BYTES = 2_000_000      # 5 x 2 MB: bounded on a small SD card (journald: deploy/journald-pos-terminal.conf)
LOG_BACKUPS = 5


def mask_digit_runs(text: str) -> str:
    """281012345678901234 -> 281012**********34: any 16-24 digit run, wherever it appears."""
    return _CODE_RUN.sub(lambda m: mask(m.group()), text)


class MaskingFilter(logging.Filter):
    """Masks digit runs in the message, its arguments and extra fields (installed on handlers,
    so records propagated from any logger pass through it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_digit_runs(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask_digit_runs(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_digit_runs(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_text or record.exc_info:
            out["exc"] = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
        return mask_digit_runs(json.dumps(out, default=str, ensure_ascii=False))


class RotatingLog(logging.handlers.RotatingFileHandler):
    """The stdlib's size-rotated file, formatting each record once. Python 3.11's
    shouldRollover formats the record a second time just to measure it, and stats the path
    twice: on the control API's path (a JSON line per event, six events a sale) that was the
    largest share of logging's cost."""

    def __init__(self, filename: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(filename, *args, **kwargs)
        # bpo-45401: only a regular file is ever rotated (not /dev/null or a pipe); asked once
        self._rotates = not os.path.exists(self.baseFilename) or os.path.isfile(self.baseFilename)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            if self.stream is None:
                self.stream = self._open()
            if self.maxBytes > 0 and self._rotates:
                self.stream.seek(0, 2)     # another process (a CLI command) may append to the same file
                if self.stream.tell() + len(line) >= self.maxBytes:
                    self.doRollover()
                    if self.stream is None:
                        self.stream = self._open()
            self.stream.write(line)
            self.flush()
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - logging never breaks the caller (the stdlib's own policy)
            self.handleError(record)


def setup_logging(verbosity: int = 0, stream: TextIO | None = None) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    # The operations log (terminal/oplog.py: one line per sale, void, refund, batch close,
    # recovery) is INFO whatever -v says; on stderr only when stderr is systemd's journal
    # (JOURNAL_STREAM), so a CLI run at a shell stays quiet. The file fallback always has it.
    handler.setLevel(min(level, logging.INFO) if os.environ.get("JOURNAL_STREAM") else level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger(OPERATIONS).setLevel(min(level, logging.INFO))
    for noisy in ("urllib3", "uvicorn", "uvicorn.access", "uvicorn.error", "kivy"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def add_file_fallback(state_dir: Path) -> Path | None:
    """Also write the logs to <state_dir>/logs/terminal.log (rotated: 5 x 2 MB), once per process.
    Returns the file's path, or None when it cannot be opened (stderr still works)."""
    path = Path(state_dir) / LOG_DIR / LOG_FILE
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path.resolve():
            return path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = RotatingLog(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
        path.chmod(0o600)
    except OSError as exc:
        logging.getLogger("terminal.logs").warning("log file unavailable", extra={"path": str(path),
                                                                                   "reason": exc.strerror})
        return None
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    return path
