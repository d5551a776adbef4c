"""Configuration: TOML per terminal-interfaces.md §3, validated with pydantic.

Unknown keys are errors, every error names its key path, relative paths are resolved against
the configuration file, and nothing here is a secret (secrets live in the state directory).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import FaultError, InputError
from .locations import (  # noqa: F401
    CONFIG_DIR,
    DEFAULT_CONFIG,
    STATE_DIR_ENV,
    read_toml,
    state_dir_of,
)
from .money import MINOR_UNITS, Money, parse_amount


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TerminalSection(_Section):
    serial_number: str = Field("DEMO-0001", min_length=1, max_length=64)
    locale: Literal["en_US", "en_CA", "fr_CA", "zh_Hans"] = "en_US"
    currency: str = "USD"
    currencies: list[str] = ["USD", "CAD"]
    max_amount: str = "10000.00"
    model: str = "POS-PI-1"

    @field_validator("currencies")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in MINOR_UNITS]
        if unknown or not value:
            raise ValueError(f"must be a non-empty list of ISO 4217 codes among {sorted(MINOR_UNITS)}")
        return value

    @field_validator("max_amount")
    @classmethod
    def _max_amount(cls, value: str, info: ValidationInfo) -> str:
        for currency in info.data.get("currencies") or []:
            try:
                parse_amount(value, currency)
            except InputError as exc:
                raise ValueError(exc.message) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TerminalSection:
        if self.currency not in self.currencies:
            raise ValueError(f"currency {self.currency!r} must be one of currencies {self.currencies}")
        return self

    def max_money(self, currency: str) -> Money:
        """max_amount in `currency` (the sale rules, sale_rules.py, apply it)."""
        return parse_amount(self.max_amount, currency)


class MerchantSection(_Section):
    id: str = "M-DEMO"
    name: str = "Demo Coffee"
    store_id: str = "S-001"
    store_name: str = "Main Street"


class AcquirerSection(_Section):
    base_url: str = "embedded"
    client_id: str = ""
    terminal_id: str = ""
    key_version: int = Field(1, ge=1)
    ca_bundle: str = ""
    signing_public_key: str = ""
    encryption_public_key: str = ""
    encryption_kid: str = ""
    connect_timeout_s: float = Field(3, gt=0, le=60)
    read_timeout_s: float = Field(15, gt=0, le=120)
    other_read_timeout_s: float = Field(8, gt=0, le=120)
    inquiry_interval_s: float = Field(3, gt=0, le=60)
    inquiry_window_s: float = Field(60, gt=0, le=3600)
    cancel_retry_max_s: float = Field(60, gt=0, le=3600)
    payment_expiry_s: int = Field(600, ge=60, le=1800)

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value != "embedded" and not value.startswith("https://"):
            raise ValueError('must be https://... (TLS is always verified) or "embedded"')
        return value.rstrip("/")

    @property
    def embedded(self) -> bool:
        return self.base_url == "embedded"


class SandboxSection(_Section):
    """The embedded sandbox (only with acquirer.base_url = "embedded")."""

    slow_response_s: float = Field(20, ge=0, le=300)


class ScannerSection(_Section):
    kind: Literal["serial", "camera", "keyboard", "virtual"] = "virtual"
    port: str = "auto"
    baudrate: int = Field(9600, gt=0)
    suffix: Literal["CR", "LF", "CRLF", "TAB", "NONE"] = "CR"
    camera: int | str = 0
    decoder: Literal["zxing", "pyzbar", "opencv"] = "zxing"
    # camera: "opencv" (USB webcams, /dev/videoN, files) or "picamera2" (Pi Camera Module 2/3
    # through libcamera: `sudo apt install python3-picamera2`, venv with --system-site-packages)
    camera_backend: Literal["opencv", "picamera2"] = "opencv"
    input: Literal["auto", "evdev", "app"] = "auto"   # keyboard wedge: how its keys are read
    inter_char_timeout_s: float = Field(0.3, gt=0, le=5)  # serial: a pause inside a code below this is no end

    def driver_options(self) -> dict:
        """The table as keyword options of drivers.scanners.build_scanner (which takes it whole)."""
        options = self.model_dump(exclude={"kind", "camera_backend"})
        if self.kind == "camera":
            options["backend"] = self.camera_backend
        return options


class PrinterSection(_Section):
    kind: Literal["serial", "usb", "network", "file", "none"] = "file"
    path: str = "receipts.txt"
    host: str = ""
    port: int = 9100
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    baudrate: int = 19200
    width: int = Field(32, ge=16, le=64)        # characters per line: 32 on 58 mm, 48 on 80 mm
    cjk: Literal["auto", "gb18030", "raster", "none"] = "auto"
    query_status: bool = True


class ControlSection(_Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    tls_cert: str = ""
    tls_key: str = ""


class UiSection(_Section):
    fullscreen: bool = False
    idle_lock_s: int = Field(120, ge=0)
    tip_presets: list[int] = [10, 15, 20]
    tips_enabled: bool = True
    tip_cap_percent: int = Field(50, ge=0, le=1000)   # a larger tip is refused with a warning; 0: no cap


class FleetSection(_Section):
    """Fleet management over MQTT (terminal/fleet; docs/fleet.md). Off while `broker` is empty.
    The terminal's broker password and the pinned operator key live in the state directory."""

    broker: str = ""
    ca_bundle: str = ""
    heartbeat_s: float = Field(30, ge=1, le=3600)
    enrol_credentials: str = ""

    @field_validator("broker")
    @classmethod
    def _mqtts(cls, value: str) -> str:
        if value and not (value.startswith("mqtts://") and len(value.split("://", 1)[1].rsplit(":", 1)) == 2):
            raise ValueError('must be "mqtts://host:port" (TLS is always verified) or empty (fleet off)')
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.broker)

    def address(self) -> tuple[str, int]:
        host, port = self.broker.split("://", 1)[1].rsplit(":", 1)
        return host.strip("[]"), int(port)


class EmailSection(_Section):
    """Emailed receipts over SMTP (terminal/email_receipts.py). Off while `host` is empty. The
    password is not here: it is read from `password_file`, relative to the state directory."""

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str = ""
    password_file: str = "smtp-password"
    from_address: str = ""
    timeout_s: float = Field(20, gt=0, le=300)
    ca_bundle: str = ""        # PEM CAs trusted for the server's STARTTLS certificate; empty: the system store

    @model_validator(mode="after")
    def _sender(self) -> EmailSection:
        if self.host and "@" not in self.from_address:
            raise ValueError("email.from_address must be an address (e.g. receipts@shop.example) when email.host is set")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.host)


class StorageSection(_Section):
    state_dir: str = ""


class Config(_Section):
    terminal: TerminalSection = TerminalSection()
    merchant: MerchantSection = MerchantSection()
    acquirer: AcquirerSection = AcquirerSection()
    sandbox: SandboxSection = SandboxSection()
    scanner: ScannerSection = ScannerSection()
    printer: PrinterSection = PrinterSection()
    control: ControlSection = ControlSection()
    ui: UiSection = UiSection()
    storage: StorageSection = StorageSection()
    fleet: FleetSection = FleetSection()
    email: EmailSection = EmailSection()

    source: Path | None = Field(None, exclude=True)

    def state_dir(self) -> Path:
        return state_dir_of(self.storage.state_dir, self.source)

    def resolve(self, path: str) -> Path:
        """Relative paths are relative to the configuration file."""
        p = Path(path).expanduser()
        if p.is_absolute() or self.source is None:
            return p
        return (self.source.parent / p).resolve()

    def state_path(self, path: str) -> Path:
        """Runtime files (receipts): relative to the state directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.state_dir() / p


def format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or True)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config/README.md for the keys)"
        lines.append(f"{path}: {msg}")
    return "\n".join(lines)


def load_config(path: Path | str | None = None) -> Config:
    data, source = read_toml(path)
    return parse_config(data, source=source)


def parse_config(data: dict, *, source: Path | None = None) -> Config:
    where = f"{source}: " if source else ""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise FaultError(f"{where}invalid configuration:\n{format_validation_error(exc)}", code="CONFIG") from None
    except RecursionError:
        raise FaultError(f"{where}invalid configuration: nested too deeply (see config/README.md for its sections)",
                         code="CONFIG") from None
    return config.model_copy(update={"source": source})
