"""The rotated log file (terminal/logs.RotatingLog): bounded like the stdlib's, each record
formatted once (the control API logs every journal event; Python 3.11's handler formatted each
twice), and lines another process appended still count towards the limit."""
from __future__ import annotations

import logging

from terminal.logs import RotatingLog


class CountingFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(message)s")
        self.calls = 0

    def format(self, record: logging.LogRecord) -> str:
        self.calls += 1
        return super().format(record)


def _record(text: str) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, text, (), None)


def test_rotates_at_the_limit_keeps_every_line_once_and_formats_each_record_once(tmp_path):
    path = tmp_path / "terminal.log"
    handler = RotatingLog(path, maxBytes=100, backupCount=3, encoding="utf-8")
    fmt = CountingFormatter()
    handler.setFormatter(fmt)
    lines = [f"line {i:02d} " + "x" * 20 for i in range(10)]      # 29 bytes each with the newline
    for line in lines:
        handler.handle(_record(line))
    handler.close()
    assert fmt.calls == len(lines)
    files = [path, *(path.with_name(f"terminal.log.{n}") for n in (1, 2, 3))]
    assert all(f.stat().st_size < 100 for f in files)
    kept = [line for f in reversed(files) for line in f.read_text().splitlines()]
    assert kept == lines[-len(kept):] and len(kept) >= 9        # oldest dropped past the backups, none twice


def test_lines_another_process_appended_count_towards_the_limit(tmp_path):
    path = tmp_path / "terminal.log"
    handler = RotatingLog(path, maxBytes=100, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.handle(_record("first"))
    with open(path, "a", encoding="utf-8") as other:              # e.g. a CLI command beside the server
        other.write("y" * 90 + "\n")
    handler.handle(_record("second"))
    handler.close()
    assert path.read_text() == "second\n"
    assert path.with_name("terminal.log.1").read_text() == "first\n" + "y" * 90 + "\n"
