"""`pos-terminal factory-reset`: remove the device's identity, secrets and journal.

Refused while a payment or refund is unresolved, or while the open batch holds captured
transactions (closing the batch reconciles them with the acquirer first), unless forced with
the technician PIN. Only the files the terminal itself creates are removed: a misconfigured
state directory (a home directory, say) never loses anything else. Old receipts go too: a file
printer's receipts (printer.kind = "file") when they are kept inside the state directory (they
carry amounts, masked codes and payment ids of the previous owner's customers).

The acquirer is NOT told: its contract (docs/acquirer-api.md §4) has no endpoint to deregister a
terminal, so the reset says so and the technician asks the acquirer to disable the client id.
"""
from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BusinessError, FaultError
from .keystore import KEY_FILES
from .pins import LOCK_FILE, PIN_FILES, PinVault

if TYPE_CHECKING:
    from .config import Config

JOURNAL = "journal.sqlite"
OWNED_FILES = (
    *KEY_FILES, *PIN_FILES, LOCK_FILE,      # KEY_FILES: every secret the keystore writes
    JOURNAL, JOURNAL + "-wal", JOURNAL + "-shm", JOURNAL + "-journal", "provisioning.json", "rotation.json",
    "acquirer_signing_key.pem", "acquirer_encryption_key.pem", "acquirer_ca.pem", "terminal.toml",
)
OWNED_DIRS = ("logs", "sandbox")
ACQUIRER_NOTICE = ("the acquirer was not told: its API has no deregistration endpoint (docs/acquirer-api.md "
                   "section 4); ask the acquirer to disable client id {client_id} if this device leaves service")


def receipt_files(config: Config, state_dir: Path) -> list[Path]:
    """The file printer's receipts when they live inside the state directory (never elsewhere:
    a printer.path such as /dev/usb/lp0 or a shared folder is not the terminal's to delete)."""
    printer = getattr(config, "printer", None)
    if printer is None or getattr(printer, "kind", "") != "file" or not getattr(printer, "path", ""):
        return []
    path = config.state_path(printer.path)
    try:
        inside = path.resolve().is_relative_to(state_dir.resolve())
    except OSError:
        return []
    if not inside or not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.glob(path.name + "*") if p.is_file() and not p.is_symlink())


@dataclass
class ResetPlan:
    state_dir: Path
    pending: int = 0
    pending_refunds: int = 0
    open_batch_captured: int = 0
    journal_unreadable: bool = False
    files: list[Path] = field(default_factory=list)

    @property
    def blockers(self) -> list[str]:
        out = ["the journal cannot be read"] if self.journal_unreadable else []
        if self.pending:
            out.append(f"{self.pending} payment(s) not final")
        if self.pending_refunds:
            out.append(f"{self.pending_refunds} refund(s) unconfirmed")
        if self.open_batch_captured:
            out.append(f"the open batch holds {self.open_batch_captured} captured payment(s) or refund(s)")
        return out


def _journal_counts(path: Path) -> tuple[int, int, int]:
    from .states import CAPTURED, FINAL

    if not path.exists():
        return 0, 0, 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            finals = tuple(s.value for s in FINAL)
            captured = tuple(s.value for s in CAPTURED)
            q = ",".join("?" * len(finals))
            pending = db.execute(f"SELECT COUNT(*) FROM transactions WHERE state NOT IN ({q})", finals).fetchone()[0]
            refunds = db.execute("SELECT COUNT(*) FROM refunds WHERE state = 'PENDING'").fetchone()[0]
            qc = ",".join("?" * len(captured))
            in_batch = db.execute(
                f"SELECT COUNT(*) FROM transactions t JOIN batches b ON t.batch_id = b.id "
                f"WHERE b.state = 'OPEN' AND t.state IN ({qc})", captured).fetchone()[0]
            in_batch += db.execute(
                "SELECT COUNT(*) FROM refunds r JOIN batches b ON r.batch_id = b.id "
                "WHERE b.state = 'OPEN' AND r.state = 'SUCCESS'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise FaultError(f"journal {path} cannot be read ({exc}): its transactions cannot be checked; "
                         f"use --force with the technician PIN to reset anyway", code="JOURNAL") from None
    return pending, refunds, in_batch


def plan_reset(config: Config) -> ResetPlan:
    state_dir = config.state_dir()
    plan = ResetPlan(state_dir=state_dir)
    try:
        plan.pending, plan.pending_refunds, plan.open_batch_captured = _journal_counts(state_dir / JOURNAL)
    except FaultError:
        plan.journal_unreadable = True
    plan.files = [state_dir / n for n in OWNED_FILES if (state_dir / n).exists()]
    plan.files += [state_dir / n for n in OWNED_DIRS if (state_dir / n).is_dir()]
    plan.files += [p for p in receipt_files(config, state_dir) if p not in plan.files]
    return plan


def factory_reset(config: Config, *, plan: ResetPlan | None = None, force: bool = False,
                  technician_pin: str | None = None) -> list[Path]:
    """Remove what the plan lists; raise BusinessError (exit 1) when refused. Holds the owner lock
    while it works: never beside a running terminal (TerminalBusy, exit 3, naming it), and the
    plan is made again under the lock, so nothing is journalled between the check and the removal."""
    from .owner import OwnerLock, TerminalBusy, describe_holder

    plan = plan or plan_reset(config)
    lock = None
    if plan.state_dir.is_dir():
        try:
            lock = OwnerLock(plan.state_dir, command="pos-terminal factory-reset").acquire()
        except TerminalBusy as busy:
            raise TerminalBusy(f"factory reset refused: the terminal is in use by {describe_holder(busy.holder)}; "
                               f"stop it first (e.g. `systemctl stop pos-terminal`)", holder=busy.holder) from None
        plan = plan_reset(config)
    try:
        return _remove(plan, force=force, technician_pin=technician_pin)
    finally:
        if lock is not None:
            lock.release()


def _remove(plan: ResetPlan, *, force: bool, technician_pin: str | None) -> list[Path]:
    blockers = plan.blockers
    if blockers:
        if not force:
            raise BusinessError(
                "factory reset refused: " + "; ".join(blockers) + ". Run `pos-terminal recover` and "
                "`pos-terminal close-batch` first, or --force with the technician PIN (the unreconciled "
                "transactions are then lost from this device)", code="RESET_REFUSED")
        PinVault(state_dir=plan.state_dir).check("technician", technician_pin or "")
    removed = []
    for path in plan.files:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
