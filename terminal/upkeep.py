"""What keeps the box running: `terminal.upkeep` (Terminal's sub-face).

The technician screen, the fleet agent, the systemd watchdog and the composition root ask the
running terminal about its surroundings rather than its money: the acquirer link's probe, the
signing key and its live rotation, the journal's health, the control API's token, the
heartbeats the watchdog checks, and (demo and rig profiles) the embedded sandbox's admin API.
The objects behind it (the acquirer client, the key store, the rotation keeper, the owner lock)
are the builder's (wiring.py) and stay private: a front end never signs, probes or rotates on
its own.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import FaultError

if TYPE_CHECKING:
    from .config import Config
    from .journal import Journal
    from .rotation import RotationOutcome
    from .watchdog import Liveness

log = logging.getLogger("terminal.upkeep")


@dataclass(frozen=True)
class Surroundings:
    """What the builder (wiring.py) gives a running terminal besides its money collaborators,
    declared here instead of set on the object afterwards. All optional: a terminal built for a
    test or a tool has none of them."""

    keystore: Any = None          # KeyStore: the control token
    client: Any = None            # AcquirerClient: the live link (diagnostics, fleet key rotation)
    sandbox: Any = None           # the embedded sandbox acquirer (demo and rig profiles only)
    connectivity: Any = None      # Connectivity: ONLINE/OFFLINE from real traffic and the probe
    rotation: Any = None          # RotationKeeper on a provisioned terminal
    owner_lock: Any = None        # the state directory's owner lock, held for the terminal's life
    liveness: Any = None          # Liveness: heartbeats the systemd watchdog checks


class Upkeep:
    def __init__(self, *, around: Surroundings, journal: Journal, config: Config,
                 between_payments: Callable[[], contextlib.AbstractContextManager]):
        self._around = around
        self._journal = journal
        self._config = config
        self._between_payments = between_payments

    @property
    def liveness(self) -> Liveness | None:
        """Where the app registers its loops' heartbeats ("ui loop", "payment worker"); None
        when built without one (a tool, a test)."""
        return self._around.liveness

    def start_link_probe(self) -> None:
        """The light probe behind the till's link indicator (long-running processes only)."""
        if self._around.connectivity is not None:
            self._around.connectivity.start()

    def clock_offset_s(self) -> float | None:
        """The acquirer's clock minus ours, from its responses (None before the first one)."""
        return getattr(getattr(self._around.client, "clock", None), "skew_s", None)

    # -- the signing key ------------------------------------------------------------------
    @property
    def can_rotate_key(self) -> bool:
        """A provisioned terminal can; the demo profile (embedded acquirer) has no key to rotate."""
        return self._around.rotation is not None

    def rotate_key(self, progress: Callable[[str], None] = lambda _m: None, *, actor: str = "technician"
                   ) -> RotationOutcome:
        """Rotate the signing key with the acquirer, between payments (never during a sale);
        from the moment the acquirer confirms, this terminal signs with the new key."""
        if self._around.rotation is None:
            raise FaultError("this terminal has no acquirer key to rotate (demo profile)", code="NOT_PROVISIONED")
        with self._between_payments():
            return self._around.rotation.rotate(progress, actor=actor)

    def key_version(self) -> int:
        """The key the terminal signs with now (a live rotation changes it without a restart)."""
        keeper = self._around.rotation
        try:
            return int(keeper.current().key_version) if keeper is not None else self._config.acquirer.key_version
        except Exception:  # noqa: BLE001 - the configured version is the fallback
            log.warning("key version: the rotation record could not be read; reporting the configured one")
            return self._config.acquirer.key_version

    # -- the journal ------------------------------------------------------------------------
    def journal_integrity(self) -> str:
        """SQLite's integrity_check: "ok", or what is damaged."""
        return self._journal.integrity_check()

    def check_journal(self) -> None:
        """A real query under the journal's lock (the systemd watchdog): raises when the journal
        does not answer, the failure that needs a restart."""
        self._journal.events_since(2**62, limit=1)

    # -- the control API and the demo's sandbox ---------------------------------------------
    def control_token(self, *, create: bool = True) -> str:
        """The control API's bearer token (state directory, mode 0600)."""
        return self._around.keystore.control_token(create=create)

    def control_token_path(self) -> str:
        return str(self._around.keystore.path("control_token"))

    def sandbox_access(self) -> dict | None:
        """The embedded sandbox's admin API (fault switches) for rigs; None on a real acquirer."""
        sandbox = self._around.sandbox
        if sandbox is None:
            return None
        return {"adminUrl": sandbox.admin_url, "caBundle": str(sandbox.ca_bundle_path)}

    def configuration(self) -> Config:
        """The whole configuration the terminal runs with (frozen: read-only), for the technician
        tools that act on the configuration itself: the fleet's staged `set_config` and its
        factory reset plan. The till's front ends read `terminal.settings` instead."""
        return self._config
