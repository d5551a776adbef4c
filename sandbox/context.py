"""Everything one sandbox instance is made of, built from its state directory and settings."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .faults import FaultBoard
from .held import HeldAnswers
from .keys import SandboxKeys, ensure_keys
from .late import LateDeliveries
from .service import Acquirer
from .store import Store
from .tls import TlsFiles, ensure_tls
from .transport import ConnectionRegistry


@dataclass
class Settings:
    slow_response_s: float = 20.0
    base_path: str = ""                       # e.g. "/api": the API is served under it
    faults: list = field(default_factory=list)
    currencies: tuple[str, ...] = ("CAD", "CNY", "EUR", "GBP", "HKD", "JPY", "SGD", "USD")

    def __post_init__(self) -> None:
        base = (self.base_path or "").rstrip("/")
        if base and not base.startswith("/"):
            base = "/" + base
        self.base_path = base
        self.slow_response_s = float(self.slow_response_s)


class SandboxContext:
    def __init__(self, state_dir: Path, settings: Settings):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        self.settings = settings
        self.keys: SandboxKeys = ensure_keys(self.state_dir)
        self.tls: TlsFiles = ensure_tls(self.state_dir)
        self.store = Store(self.state_dir / "acquirer.sqlite3")
        self.faults = FaultBoard(settings.faults)
        self.connections = ConnectionRegistry()
        self.late = LateDeliveries()
        self.held = HeldAnswers()
        self.acquirer = Acquirer(store=self.store, keys=self.keys, settings=settings)
        from .refunds import install as install_refunds
        from .terminals import install as install_terminals  # register, rotateKey, batchClose

        install_refunds(self)
        install_terminals(self)

    def describe(self, base_url: str) -> dict:
        return {
            "baseUrl": base_url + self.settings.base_path,
            "caBundle": str(self.tls.ca_cert),
            "signingPublicKey": str(self.keys.signing_public_key_path),
            "encryptionPublicKey": str(self.keys.encryption_public_key_path),
            "encryptionKid": self.keys.encryption_kid,
            "stateDir": str(self.state_dir),
        }
