"""Health policy, once: what "OK" means for a device and for the terminal as a whole.

The touchscreen's technician screen, `GET /v1/status` and `pos-terminal diagnose` all ask
here, so they never disagree (a printer configured as "none" is fine everywhere: the
terminal sells without receipts by design; paper out or a printer that does not answer is not).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Printer states that stop a receipt from printing. PAPER_LOW still prints; UNKNOWN is a
# transport that cannot report (a device file); DISABLED is printer.kind = "none".
PRINTER_PROBLEMS = frozenset({"PAPER_OUT", "OFFLINE"})


def printer_ok(status: str) -> bool:
    return status not in PRINTER_PROBLEMS


@dataclass(frozen=True)
class DeviceHealth:
    kind: str
    status: str
    ok: bool
    message: str = ""

    def to_api(self) -> dict:
        return {"kind": self.kind, "status": self.status, "ok": self.ok, "message": self.message}


def printer_health(kind: str, status: str, message: str = "") -> DeviceHealth:
    return DeviceHealth(kind, status, printer_ok(status), message)


@dataclass(frozen=True)
class PendingSummary:
    """What is still unresolved: payments not final, refunds not confirmed."""

    payments: int
    refunds: int

    @property
    def any(self) -> bool:
        return bool(self.payments or self.refunds)


@dataclass(frozen=True)
class TerminalHealth:
    printer: DeviceHealth
    pending: PendingSummary
    faults: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.printer.ok and not self.faults
