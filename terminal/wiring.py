"""The composition root: builds a Terminal from configuration.

With `acquirer.base_url = "embedded"` it starts the sandbox acquirer in-process on loopback
(the only place the terminal package touches `sandbox`, imported lazily) and registers this
terminal's key with it, so the demo profile needs no provisioning.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from .acquirer import Credentials
from .batch import BatchCloser
from .config import Config
from .connectivity import Connectivity
from .endpoints import AcquirerEndpoint, client_for, configured_endpoint
from .errors import FaultError
from .identity import adopt, check_identity
from .journal import Journal
from .keystore import KeyStore
from .logs import add_file_fallback
from .owner import OwnerLock
from .payments import PaymentService
from .pins import PinVault
from .printing import ReceiptPrinter, printer_from_config
from .receipts import ReceiptBuilder
from .refunds import RefundService
from .resolution import Resolver
from .rotation import finish_confirmed_rotation
from .service import Terminal
from .settings import Settings
from .signing import public_key_pem
from .storage_faults import storage_fault
from .tokenise import CredentialEncrypter
from .upkeep import Surroundings
from .watchdog import Liveness
from .watchdog import attach as attach_watchdog

DEMO_MANAGER_PIN = "1234"
DEMO_TECHNICIAN_PIN = "4321"
DEMO_OWNER_PIN = "8642"          # the override for manager actions while the manager PIN is locked


def prepare_state_dir(config: Config) -> Path:
    state_dir = config.state_dir()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(state_dir, 0o700)
    except OSError as exc:
        raise storage_fault(exc, state_dir, "state directory") or FaultError(
            f"state directory {state_dir} is not usable ({exc.strerror}): "
                         f"set storage.state_dir or POS_TERMINAL_STATE_DIR", code="STATE_DIR") from None
    return state_dir


def start_embedded_sandbox(config: Config, signing_key: RSAPrivateKey, state_dir: Path):
    # demo wiring only: the core never needs the sandbox
    from .composition import embedded_sandbox

    check_identity(config, state_dir)    # never on a provisioned state directory (exit 3, naming its config)

    sandbox = embedded_sandbox(state_dir=state_dir / "sandbox", slow_response_s=config.sandbox.slow_response_s)
    sandbox.start()
    sandbox.register_client(client_id=config.acquirer.client_id, terminal_id=config.acquirer.terminal_id,
                            public_key_pem=public_key_pem(signing_key), key_version=config.acquirer.key_version)
    endpoint = AcquirerEndpoint(sandbox.base_url, str(sandbox.ca_bundle_path), Path(sandbox.signing_public_key_path),
                                Path(sandbox.encryption_public_key_path), sandbox.encryption_kid)
    return sandbox, endpoint


def build_terminal(config: Config, *, wait=None) -> Terminal:
    """The running terminal, owner of its state directory: the owner lock is taken before anything
    else (TerminalBusy, exit 3, when another process holds it) and dropped when it closes."""
    state_dir = prepare_state_dir(config)
    owner = OwnerLock(state_dir).acquire()
    try:
        return _build(config, state_dir, owner, wait=wait)
    except BaseException:
        owner.release()
        raise


def _build(config: Config, state_dir: Path, owner: OwnerLock, *, wait=None) -> Terminal:
    add_file_fallback(state_dir)
    keystore = KeyStore(state_dir=state_dir)
    pins = PinVault(state_dir=state_dir)
    sandbox = None
    if config.acquirer.embedded:
        signing_key = keystore.signing_key(create=True)   # demo profile: generated on first use
        sandbox, endpoint = start_embedded_sandbox(config, signing_key, state_dir)
        for role, pin in (("manager", DEMO_MANAGER_PIN), ("technician", DEMO_TECHNICIAN_PIN),
                          ("owner", DEMO_OWNER_PIN)):
            if not pins.is_set(role):
                pins.set_pin(role, pin)
    else:
        endpoint = configured_endpoint(config)
        config = finish_confirmed_rotation(config, state_dir=state_dir)  # a rotation cut short after its S
        check_identity(config, state_dir)      # the right acquirer, on the device it was provisioned on
        signing_key = keystore.signing_key()
    a = config.acquirer
    credentials = [Credentials(a.client_id, a.key_version, signing_key)]  # replaced by a live key rotation
    keeper: list = []      # the RotationKeeper, once built: it notices a rotation done by another process

    def signing_credentials() -> Credentials:
        return keeper[0].signing_credentials() if keeper else credentials[0]
    client = client_for(config, endpoint, credentials=signing_credentials)
    connectivity = Connectivity(base_url=endpoint.base_url, connect_timeout_s=a.connect_timeout_s)
    client.on_exchange = connectivity.record_exchange      # every real call is evidence
    encrypter = CredentialEncrypter(public_key_pem=endpoint.encryption_public_key.read_bytes(),
                                    kid=endpoint.encryption_kid)
    journal = Journal(state_dir / "journal.sqlite")
    adopt(journal, config, state_dir)          # a journal without an identity stamp gets this one
    stop = threading.Event()
    wait = wait or stop.wait
    fault_sink: list[Terminal] = []   # the Terminal, once built, receives faults as events

    def on_fault(code: str) -> None:
        for t in fault_sink:
            t.record_fault(code)
            if code == "KEY_NOT_FOUND" and keeper:
                keeper[0].poke()     # an unfinished rotation (or one done by another process)
    resolver = Resolver(journal=journal, client=client, interval_s=a.inquiry_interval_s, window_s=a.inquiry_window_s,
                        cancel_retry_max_s=a.cancel_retry_max_s, wait=wait, on_fault=on_fault)
    payments = PaymentService(config=config, journal=journal, client=client, encrypter=lambda: encrypter,
                              resolver=resolver, hmac_key=keystore.hmac_key(), terminal_id=lambda: a.terminal_id,
                              on_fault=on_fault)
    refunds = RefundService(journal=journal, client=client, retry_base_s=a.inquiry_interval_s,
                            retry_cap_s=a.cancel_retry_max_s, wait=wait)

    printer, problem = printer_from_config(config)
    receipts = ReceiptPrinter(printer=printer, builder=ReceiptBuilder(config=config), problem=problem)

    def on_close() -> None:
        if watchdog is not None:
            watchdog.stopping()
        stop.set()
        connectivity.stop()
        receipts.close()
        if sandbox is not None:
            sandbox.stop()
        owner.release()

    def use_credentials(c: Credentials) -> None:      # rotation.rotate_key(on_rotated=)
        credentials[0] = c
    if not config.acquirer.embedded:
        from .audit import AuditTrail
        from .rotation_keeper import RotationKeeper

        keeper.append(RotationKeeper(config, client=client, current=lambda: credentials[0],
                                     switch=use_credentials, audit=AuditTrail(journal).record))
    surroundings = Surroundings(keystore=keystore, client=client, sandbox=sandbox, connectivity=connectivity,
                                rotation=keeper[0] if keeper else None, owner_lock=owner,
                                liveness=Liveness())      # the app registers its UI loop and worker heartbeats
    terminal = Terminal(config=config, journal=journal, payments=payments, resolver=resolver, refunds=refunds,
                        batches=BatchCloser(journal=journal, client=client), pins=pins, receipts=receipts,
                        surroundings=surroundings, on_close=on_close,
                        settings=Settings.from_config(config, acquirer=endpoint.base_url))
    fault_sink.append(terminal)
    watchdog = attach_watchdog(terminal)   # under systemd only (NOTIFY_SOCKET): READY=1, WATCHDOG=1
    return terminal
