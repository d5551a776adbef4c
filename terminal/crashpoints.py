"""Named crash points for the kill -9 matrix (bench/crash_matrix.py, tests/test_crash_matrix.py).

Set POS_TERMINAL_CRASHPOINT=<name>[:<n>] and the process SIGKILLs itself the n-th time (default
first) it reaches that point: exactly a power cut at that instant, with nothing flushed that
was not already durable. Unset (always, in production) this costs one dict lookup.
"""
from __future__ import annotations

import os
import signal

ENV = "POS_TERMINAL_CRASHPOINT"
POINTS = (
    "after_intent",            # journal row committed, pay request not yet sent
    "after_pay_response",      # answer received, journal not yet updated
    "after_inquiry_response",
    "before_cancel",           # cancel queued in the journal, request not yet sent
    "after_cancel_response",
    "after_refund_intent",
    "after_refund_response",
)
# Key rotation (terminal/rotation.py), in order; tests/technician/test_rotation_crashes.py kills at each.
ROTATION_POINTS = (
    "rotate_before_record",    # new key written, no rotation.json yet (never sent: replaced next run)
    "rotate_after_next_key",   # rotation.json pending, rotateKey not sent yet
    "rotate_after_response",   # the acquirer answered (maybe S), nothing recorded yet
    "rotate_after_probe",      # the same request signed with the new key answered
    "rotate_after_confirmed",  # confirmed recorded, TOML not yet rewritten
    "rotate_after_config",     # TOML rewritten, old key still in terminal_key.pem
    "rotate_after_swap",       # new key in terminal_key.pem, rotation.json not yet removed
)
# Updates and rollback (terminal/updater.py); tests/technician/test_updates.py cuts the power at each.
UPDATE_POINTS = (
    "update_after_stage", "update_after_stop", "update_after_backup", "update_after_migrate",
    "update_after_switch", "update_after_start", "rollback_after_stop", "rollback_after_switch",
)
_seen: dict[str, int] = {}


def crashpoint(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
