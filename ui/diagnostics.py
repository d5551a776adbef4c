"""The technician's status report: versions, terminal identity, device health, faults, journal.

Gathered on a worker thread (it touches the journal and the drivers). Each check is a row
(label, value, ok) with ok None for plain information; a check that raises becomes a failed row
with the error's message, never a traceback.
"""
from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from terminal.reasons import reason

if TYPE_CHECKING:
    from drivers.scanners import Scanner
    from terminal.service import Terminal


@dataclass(frozen=True)
class Row:
    section: str
    label: str
    value: str
    ok: bool | None = None


def gather(terminal: Terminal, scanner: Scanner | None) -> list[Row]:
    rows: list[Row] = []
    cfg = terminal.settings

    def check(section: str, label: str, fn: Callable[[], tuple[str, bool]]) -> None:
        try:
            value, ok = fn()
        except Exception as exc:  # a failing probe is a finding, not a crash  # noqa: BLE001
            value, ok = getattr(exc, "message", str(exc)), False
        rows.append(Row(section, label, value, ok))

    import kivy

    rows += [Row("Versions", "Terminal software", cfg.version),
             Row("Versions", "Python", platform.python_version()),
             Row("Versions", "Kivy", kivy.__version__),
             Row("Versions", "System", f"{platform.system()} {platform.release()} {platform.machine()}")]
    rows += [Row("Terminal", "Serial number", cfg.serial_number),
             Row("Terminal", "Terminal ID", cfg.terminal_id),
             Row("Terminal", "Merchant", f"{cfg.merchant_id} {cfg.merchant_name}"),
             Row("Terminal", "Acquirer", cfg.acquirer),
             Row("Terminal", "Locale / currencies", f"{cfg.locale} / {', '.join(cfg.currencies)}"),
             Row("Terminal", "State directory", str(cfg.state_dir))]

    def scanner_health() -> tuple[str, bool]:
        if scanner is None:
            return "none configured", False
        h = scanner.health()
        text = f"{h.kind} {h.state.value} {h.where}".strip() + f" · scans {h.scans}, dropped {h.dropped}"
        return (text + (f" · {h.message}" if h.message else "")), h.ok
    check("Devices", "Scanner", scanner_health)

    def printer_health() -> tuple[str, bool]:
        p = terminal.health().printer       # the core's health policy: "none" is fine, paper out is not
        return f"{p.kind} {p.status}" + (f" · {p.message}" if p.message else ""), p.ok
    check("Devices", "Printer", printer_health)

    def integrity() -> tuple[str, bool]:
        result = terminal.upkeep.journal_integrity()
        return result, result == "ok"
    check("Journal", "Integrity", integrity)

    def count_check(count: int) -> tuple[str, bool]:
        return str(count), count == 0
    check("Journal", "Unresolved payments", lambda: count_check(terminal.pending_summary().payments))
    check("Journal", "Unconfirmed refunds", lambda: count_check(terminal.notices.pending_refund_count()))

    faults = list(terminal.faults)
    if faults:
        for code in faults:
            rows.append(Row("Faults", code, reason(code, "Terminal fault: call a technician."), False))
    else:
        rows.append(Row("Faults", "Recorded faults", "none", True))
    rows.append(Row("Versions", "Runtime", sys.implementation.name))
    return rows
