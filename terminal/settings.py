"""What the front ends may know of the configuration: `terminal.settings` (Terminal's sub-face).

The touchscreen, the CLI, the control API and the fleet agent need a handful of settings
(currencies, locale, tips, the scanner kind, whether e-mail is set up, where the state and the
configuration live, who this terminal is). They get exactly those, in one frozen value, instead
of the whole `Config`: the acquirer's timeouts, the printer's port and the e-mail password file
are the core's business, and a front end that read them would grow a second copy of a rule.

The sections handed on whole (`ui`, `scanner`, `fleet`, `control`) are frozen pydantic models
(config.py, `frozen=True`): read-only, and each belongs to exactly one front end (the till's
tips and idle lock, the scanner feed's driver options, the fleet agent's broker, the control
server's address).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .config import Config, ControlSection, FleetSection, ScannerSection, UiSection


@dataclass(frozen=True)
class Settings:
    currency: str                      # the default currency of a sale
    currencies: tuple[str, ...]        # the currencies this terminal may charge
    locale: str                        # the merchant's locale: slips and the till's default language
    merchant_id: str
    merchant_name: str
    store_name: str
    serial_number: str
    model: str
    terminal_id: str
    acquirer: str                      # the acquirer's base URL, or "embedded" (demo)
    embedded_acquirer: bool            # the demo profile: no acquirer key to rotate
    key_version: int                   # the configured signing key version (a live rotation moves on)
    inquiry_window_s: float            # how long an unknown result is asked about before cancelling
    printer_kind: str
    email_enabled: bool
    state_dir: Path
    config_source: Path | None         # the file it was loaded from (None: built in memory)
    fleet_ca_bundle: Path | None       # the fleet broker's CA bundle, resolved like every configured path
    version: str
    ui: UiSection
    scanner: ScannerSection
    fleet: FleetSection
    control: ControlSection

    @classmethod
    def from_config(cls, config: Config, *, acquirer: str | None = None) -> Settings:
        t, a = config.terminal, config.acquirer
        return cls(currency=t.currency, currencies=tuple(t.currencies), locale=t.locale,
                   merchant_id=config.merchant.id, merchant_name=config.merchant.name,
                   store_name=config.merchant.store_name, serial_number=t.serial_number, model=t.model,
                   terminal_id=a.terminal_id, acquirer=acquirer or a.base_url, embedded_acquirer=a.embedded,
                   key_version=a.key_version, inquiry_window_s=a.inquiry_window_s, printer_kind=config.printer.kind,
                   email_enabled=config.email.enabled, state_dir=config.state_dir(), config_source=config.source,
                   fleet_ca_bundle=config.resolve(config.fleet.ca_bundle) if config.fleet.ca_bundle else None,
                   version=__version__, ui=config.ui, scanner=config.scanner, fleet=config.fleet,
                   control=config.control)

    def till(self) -> tuple:
        """What the till's sale screen is drawn from: a terminal that starts on other values (a
        fleet change staged for this start) gets its sale screen rebuilt."""
        return (self.currency, self.currencies, self.locale, self.merchant_name, self.store_name, self.ui)
