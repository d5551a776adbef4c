"""Who may do what at the till: `terminal.access` (Terminal's sub-face).

The PIN screen, the CLI and the control API ask here whether a PIN is right, how long a locked
role must wait, and whether a manager action (void, refund, batch close) may go ahead. The PIN
hashes, their lockout counters (pins.py) and the audit of owner overrides stay behind it, so
every front end gets the same lockout and the same audit entry.
"""
from __future__ import annotations

from .audit import AuditTrail
from .pins import PinVault


class Access:
    def __init__(self, *, pins: PinVault, audit: AuditTrail):
        self._pins = pins
        self._audit = audit

    def check_pin(self, role: str, pin: str) -> None:
        """WrongPin / PinLocked (pins.py) unless `pin` is `role`'s PIN."""
        self._pins.check(role, pin)

    def locked_for(self, role: str) -> float:
        """Seconds until `role`'s PIN may be tried again (0: not locked)."""
        return self._pins.locked_for(role)

    def authorize_manager(self, pin: str | None = None, *, owner_pin: str | None = None, action: str = "",
                          tx_id: str = "") -> str:
        """A manager action: the manager PIN, or the owner PIN as an override (e.g. while the
        manager PIN is locked; it has its own limit). Returns "manager" or "owner"; an owner
        override is written to the audit trail."""
        who = self._pins.authorize("manager", pin, override_pin=owner_pin)
        if who != "manager":
            self._audit.record(who, "pin_override", operation=action, txId=tx_id)
        return who
