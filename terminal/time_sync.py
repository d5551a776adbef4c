"""The `time sync` line of `pos-terminal diagnose`: is the clock kept right by NTP?

The acquirer refuses requests more than 300 s off its clock, and a Pi has no real-time clock:
after a power cut without network it starts at the last saved time. The `clock` line compares
with the acquirer once; this one says whether anything keeps the clock right. Sources, both
injectable for tests: `timedatectl show -p NTPSynchronized --value` (systemd; chrony and
systemd-timesyncd both report through it), else systemd-timesyncd's marker file.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnostics import Check

TIMESYNC_MARKER = Path("/run/systemd/timesync/synchronized")
FIX = "turn NTP on (`sudo timedatectl set-ntp true`; chrony is installed by deploy/install.sh) and check the network"


def _timedatectl() -> str | None:
    """'yes' / 'no', or None when timedatectl is missing or cannot ask systemd (a container)."""
    exe = shutil.which("timedatectl")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip().lower()
    return value if proc.returncode == 0 and value in ("yes", "no") else None


def check_time_sync(*, query: Callable[[], str | None] = _timedatectl, marker: Path = TIMESYNC_MARKER) -> Check:
    from .diagnostics import PASS, SKIP, WARN, Check

    answer = query()
    if answer == "yes":
        return Check("time sync", PASS, "NTP synchronized (timedatectl)")
    if answer == "no":
        return Check("time sync", WARN, "the clock is not NTP-synchronized (timedatectl): after a restart "
                     "without network it may be far off and the acquirer refuses requests over 300 s off", FIX)
    if marker.exists():
        return Check("time sync", PASS, f"NTP synchronized ({marker})")
    if marker.parent.is_dir():
        return Check("time sync", WARN, f"systemd-timesyncd has not synchronized yet (no {marker})", FIX)
    return Check("time sync", SKIP, "cannot tell: no timedatectl answer (no systemd here) and no "
                 f"{marker.parent}")
