"""`pos-terminal diagnose`: one line per check, PASS or FAIL with the fix (SKIP when a check does
not apply, e.g. no camera configured, or cannot run because an earlier one failed).

Checks: configuration, keys (and their file modes), journal integrity (PRAGMA integrity_check,
read only), acquirer reachability plus a signed round trip (an inquiry for a random id must come
back verified with ORDER_NOT_EXIST), clock (device vs the acquirer's Response-Time), scanner,
camera, printer; storage (free space, writability: terminal/storage_check.py). Nothing here changes the device's state.
"""
from __future__ import annotations

import sqlite3
import stat
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import signing
from .errors import TerminalError
from .persistence_check import check_persistence
from .storage_check import check_storage
from .time_sync import check_time_sync

if TYPE_CHECKING:
    from .acquirer import AcquirerClient, AcquirerResult
    from .config import Config

PASS, FAIL, SKIP, WARN = "PASS", "FAIL", "SKIP", "WARN"   # WARN: works now, act soon (not a failure)
DEVICE_WAIT_S = 3.0       # bounded wait for a scanner/camera to report READY or FAULT


@dataclass
class Check:
    name: str
    status: str
    detail: str = ""
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name:<13} {self.detail}".rstrip()
        return text + (f"\n      fix: {self.fix}" if self.fix else "")


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def to_api(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def format_report(report: Report) -> str:
    lines = [c.line() for c in report.checks]
    failed = sum(c.status == FAIL for c in report.checks)
    lines.append("all checks passed" if not failed else f"{failed} check(s) failed: apply the fixes above")
    return "\n".join(lines)


def run_diagnostics(config_path: str | None, *, network: bool = True) -> Report:
    from .config import load_config

    report = Report()
    try:
        config = load_config(config_path)      # None: the state directory's own, else the demo profile
    except TerminalError as exc:
        report.checks.append(Check("configuration", FAIL, exc.message.splitlines()[0],
                                   "; ".join(exc.message.splitlines()[1:]) or f"fix {config_path}"))
        for name in ("identity", "keys", "journal", "storage", "acquirer", "clock", "scanner", "camera", "printer"):
            report.checks.append(Check(name, SKIP, "configuration invalid"))
        return report
    where = "embedded demo acquirer" if config.acquirer.embedded else config.acquirer.base_url
    report.checks.append(Check("configuration", PASS, f"{config.source} ({where})"))
    identity = check_identity(config)
    report.checks.append(identity)
    report.checks.append(check_keys(config))
    keys_ok = report.checks[-1].status == PASS
    rotation = check_rotation(config) if config.state_dir().is_dir() else None
    if rotation is not None:
        report.checks.append(rotation)
    report.checks.append(check_journal(config))
    report.checks.append(check_storage(config.state_dir()))
    report.checks.append(check_persistence(config.state_dir()))
    report.checks.append(check_time_sync())
    if identity.status == FAIL:
        report.checks += [Check("acquirer", SKIP, "not checked: wrong configuration for this state directory"),
                          Check("clock", SKIP, "needs the acquirer")]
    elif network:
        report.checks.extend(check_acquirer(config, keys_ok=keys_ok))
    else:
        report.checks += [Check("acquirer", SKIP, "not checked (--no-network)"),
                          Check("clock", SKIP, "not checked (--no-network)")]
    report.checks.append(check_scanner(config))
    report.checks.append(check_camera(config))
    report.checks.append(check_printer(config))
    return report


# -- identity --------------------------------------------------------------------------------

def check_identity(config: Config) -> Check:
    """The state directory's identity stamp against this configuration and this device."""
    from .identity import check_identity as check

    state_dir = config.state_dir()
    try:
        stamp = check(config, state_dir)
    except TerminalError as exc:
        detail, _, fix = exc.message.partition(": ")
        return Check("identity", FAIL, detail, fix or "see the detail")
    if stamp is None:
        what = "demo state directory" if config.acquirer.embedded else "not stamped yet (stamped at the first start)"
        return Check("identity", PASS if config.acquirer.embedded else SKIP, what)
    if stamp.base_url == "embedded":
        return Check("identity", PASS, f"demo state directory (embedded sandbox acquirer) {state_dir}")
    bound = "bound to this device" if stamp.machine else "no machine id to bind to"
    return Check("identity", PASS, f"{stamp.names()}, key version {stamp.key_version}, provisioned with "
                                   f"{stamp.config_path or '?'}; {bound}")


# -- keys ------------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_keys(config: Config) -> Check:
    from .keystore import KEY_FILES, SIGNING_KEY
    from .pins import PIN_FILES

    state_dir = config.state_dir()
    if not state_dir.is_dir():
        if config.acquirer.embedded:
            return Check("keys", PASS, f"demo: generated at first use in {state_dir}")
        return Check("keys", FAIL, f"state directory {state_dir} does not exist",
                     "provision the terminal (`pos-terminal provision`) or fix storage.state_dir")
    if _mode(state_dir) & 0o077:
        return Check("keys", FAIL, f"state directory {state_dir} is open to other users (mode {oct(_mode(state_dir))})",
                     f"chmod 700 {state_dir}")
    key_path = state_dir / SIGNING_KEY
    if not key_path.exists():
        if config.acquirer.embedded:
            return Check("keys", PASS, "demo: the terminal key is generated at first use")
        return Check("keys", FAIL, f"no terminal signing key at {key_path}", "provision the terminal again")
    for name in (*KEY_FILES, *PIN_FILES):     # every secret file, one rule
        path = state_dir / name
        if path.exists() and _mode(path) & 0o077:
            return Check("keys", FAIL, f"{path} is readable by other users (mode {oct(_mode(path))})",
                         f"chmod 600 {path}")
    try:
        signing.load_private_key(key_path.read_bytes())
    except (OSError, ValueError) as exc:
        return Check("keys", FAIL, f"{key_path} is not a usable RSA-2048 key ({exc})",
                     "restore it from the backup or factory-reset and provision again")
    if not config.acquirer.embedded:
        for what, value in (("acquirer.signing_public_key", config.acquirer.signing_public_key),
                            ("acquirer.encryption_public_key", config.acquirer.encryption_public_key)):
            public = config.resolve(value) if value else None
            try:
                signing.load_public_key(public.read_bytes()) if public else None
            except (OSError, ValueError) as exc:
                return Check("keys", FAIL, f"{what} {public} cannot be read ({exc})",
                             f"fix {what} or provision again")
            if public is None:
                return Check("keys", FAIL, f"{what} is not set", "provision the terminal (`pos-terminal provision`)")
    return Check("keys", PASS, f"terminal key version {config.acquirer.key_version}, files mode 0600 in {state_dir}")


def check_rotation(config: Config) -> Check | None:
    """The true state of a key rotation under way (None when there is none)."""
    from .rotation import describe

    try:
        healthy, what, fix = describe(config.state_dir(), current_version=config.acquirer.key_version)
    except TerminalError as exc:
        return Check("key rotation", FAIL, exc.message, "keep every key file; call support")
    return None if healthy else Check("key rotation", FAIL, what, fix)


# -- journal ---------------------------------------------------------------------------------

def check_journal(config: Config) -> Check:
    path = config.state_dir() / "journal.sqlite"
    if not path.exists():
        return Check("journal", PASS, "no journal yet (created at the first sale)")
    fix = (f"stop the service, copy {path} aside for support (`pos-terminal export-logs`), then restore it from "
           f"backup or factory-reset after the batch is closed")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return Check("journal", FAIL, f"{path} cannot be read ({exc})", fix)
    if result != "ok":
        return Check("journal", FAIL, f"integrity_check: {result}", fix)
    return Check("journal", PASS, f"integrity_check ok ({path})")


# -- acquirer and clock ----------------------------------------------------------------------

def check_acquirer(config: Config, *, keys_ok: bool) -> list[Check]:
    from .acquirer import INQUIRY, Credentials
    from .endpoints import client_for
    from .keystore import KeyStore
    from .link_checks import MAX_CLOCK_SKEW_S, ResponseClock, explain_failure

    if not keys_ok and not config.acquirer.embedded:
        return [Check("acquirer", SKIP, "keys not usable (see above)"), Check("clock", SKIP, "needs the acquirer")]
    sandbox = None
    try:
        if config.acquirer.embedded:
            from .wiring import prepare_state_dir, start_embedded_sandbox

            state_dir = prepare_state_dir(config)
            signing_key = KeyStore(state_dir=state_dir).signing_key(create=True)
            sandbox, endpoint = start_embedded_sandbox(config, signing_key, state_dir)
            client = client_for(config, endpoint)
        else:
            client = client_for(config)
            signing_key = KeyStore(state_dir=config.state_dir()).signing_key()
        clock = ResponseClock().attach(client.session)
        creds = Credentials(config.acquirer.client_id, config.acquirer.key_version, signing_key)
        result = client.call(INQUIRY, {"paymentRequestId": f"DIAG-{uuid.uuid4().hex}"}, credentials=creds)
        pending_key = _pending_key_answer(config, client, result)
    except TerminalError as exc:
        return [Check("acquirer", FAIL, exc.message, "fix the configuration named above"),
                Check("clock", SKIP, "needs the acquirer")]
    finally:
        if sandbox is not None:
            sandbox.stop()
    checks = []
    ca = str(config.resolve(config.acquirer.ca_bundle)) if config.acquirer.ca_bundle else ""
    if result.not_received:   # ORDER_NOT_EXIST, in the call's result or in paymentResult
        checks.append(Check("acquirer", PASS, f"{client.base_url} reachable; signed round trip verified"))
    elif pending_key is not None:
        version, accepted = pending_key
        if accepted:
            checks.append(Check("acquirer", FAIL, f"key version {config.acquirer.key_version} refused "
                                f"({result.code}); the acquirer accepts the pending new key version {version}",
                                "run `pos-terminal rotate-key`: it finishes the rotation with the new key"))
        else:
            checks.append(Check("acquirer", FAIL, f"the acquirer accepts neither key version "
                                f"{config.acquirer.key_version} ({result.code}) nor the pending {version}",
                                f"call the acquirer's support with client id {config.acquirer.client_id}; keep "
                                f"both key files; do NOT factory-reset"))
    else:
        why = explain_failure(result, base_url=client.base_url, ca_bundle=ca)
        detail, _, fix = why.rpartition(": ")
        checks.append(Check("acquirer", FAIL, detail if fix else why, fix or "see the detail"))
    if clock.skew_s is None:
        checks.append(Check("clock", SKIP, "the acquirer did not answer with a Response-Time"))
    elif clock.off:
        checks.append(Check("clock", FAIL, f"device clock {abs(clock.skew_s):.0f} s off the acquirer's "
                                           f"(limit {MAX_CLOCK_SKEW_S} s)",
                            "set the time: `timedatectl set-ntp true` (or `sudo date -s ...`)"))
    else:
        checks.append(Check("clock", PASS, f"within {abs(clock.skew_s):.1f} s of the acquirer"))
    return checks


def _pending_key_answer(config: Config, client: AcquirerClient, result: AcquirerResult) -> tuple[int, bool] | None:
    """With a rotation under way and the current key refused: does the acquirer take the new key?"""
    from .acquirer import INQUIRY, Credentials
    from .keystore import KeyStore
    from .rotation import KEY_REFUSALS, NEXT_KEY, load_record

    if config.acquirer.embedded or not (result.failed and result.code in KEY_REFUSALS):
        return None
    record = load_record(config.state_dir())
    if not record or record.get("stage") != "pending" or not (config.state_dir() / NEXT_KEY).exists():
        return None
    version = int(record["newKeyVersion"])
    key = KeyStore(state_dir=config.state_dir()).signing_key(name=NEXT_KEY)
    probe = client.call(INQUIRY, {"paymentRequestId": f"DIAG-{uuid.uuid4().hex}"},
                        credentials=Credentials(config.acquirer.client_id, version, key))
    return version, bool(probe.verified and probe.code not in KEY_REFUSALS)


# -- devices ---------------------------------------------------------------------------------

def _probe_scanner(config: Config) -> tuple[str, str]:
    """Start the configured scanner, wait (bounded, on its state callback) for READY or FAULT."""
    from drivers.scanners import ScannerState, build_scanner

    scanner = build_scanner(kind=config.scanner.kind, **config.scanner.driver_options())
    settled = threading.Event()

    def on_state(state: ScannerState) -> None:
        if state in (ScannerState.READY, ScannerState.FAULT):
            settled.set()
    try:
        scanner.start(lambda _code: None, on_state)
        if scanner.health().state not in (ScannerState.READY, ScannerState.FAULT):
            settled.wait(DEVICE_WAIT_S)
        health = scanner.health()
    finally:
        scanner.stop()
    fallback = health.details.get("fallback")
    if fallback:   # input = "auto" found no device: only the app's keyboard could feed it
        return FAIL, (f"{fallback}; the app would read the scanner as its own keyboard only while it "
                      "has focus: plug the scanner in, or set scanner.input = \"app\" to rely on that")
    if health.details.get("input") == "app":
        return PASS, "keyboard-wedge scanner read through the app's keyboard (cannot be checked headless)"
    if health.state is ScannerState.READY or config.scanner.kind == "virtual":
        return PASS, f"{config.scanner.kind} scanner ready {health.where}".rstrip()
    return FAIL, health.message or f"{config.scanner.kind} scanner is {health.state.value}"


def check_scanner(config: Config) -> Check:
    kind = config.scanner.kind
    try:
        if kind == "camera":   # the camera check opens the device; here: can it be built (decoder present)?
            from drivers.scanners import build_scanner

            build_scanner(kind=kind, **config.scanner.driver_options())
            return Check("scanner", PASS, f"camera scanner with the {config.scanner.decoder} decoder")
        if kind == "virtual":
            return Check("scanner", PASS, "virtual scanner (codes typed or injected)")
        status, detail = _probe_scanner(config)
    except Exception as exc:   # DeviceError, DependencyMissing: their messages say what to do  # noqa: BLE001
        return Check("scanner", FAIL, str(exc), f"check the {kind} scanner's cable and scanner.* settings "
                                                "(`pos-terminal scan-test`)")
    fix = "" if status == PASS else "check the cable and scanner.port/baudrate (`pos-terminal scan-test`)"
    return Check("scanner", status, detail, fix)


def check_camera(config: Config) -> Check:
    if config.scanner.kind != "camera":
        return Check("camera", SKIP, "no camera configured (scanner.kind is not camera)")
    try:
        status, detail = _probe_scanner(config)
    except Exception as exc:  # noqa: BLE001 - boundary: any failure is reported, not raised
        return Check("camera", FAIL, str(exc), "check the camera cable/ribbon and scanner.camera")
    return Check("camera", status, detail, "" if status == PASS else "check the camera and scanner.camera "
                                                                      "(`pos-terminal scan-test --camera N`)")


def check_printer(config: Config) -> Check:
    from .health import printer_ok
    from .printing import printer_from_config

    printer, problem = printer_from_config(config)
    if problem:
        return Check("printer", FAIL, problem, "fix printer.* in the configuration")
    try:
        status, message = printer.health()
    finally:
        printer.close()
    name = getattr(status, "value", str(status))
    if printer_ok(name):      # the core's health policy (health.py), as on the till and /v1/status
        if config.printer.kind == "file":
            parent = config.state_path(config.printer.path).parent
            if not parent.is_dir():
                return Check("printer", FAIL, f"receipt file directory {parent} does not exist",
                             "create it or fix printer.path")
        return Check("printer", PASS, f"{config.printer.kind} printer {name}" + (f" ({message})" if message else ""))
    return Check("printer", FAIL, f"{config.printer.kind} printer {name}", message or "check the printer")
