"""Provisioning: from a fresh device to ready for sales (acquirer-api.md register, §8 keys).

Steps, each durable before the next, recorded in `provisioning.json` in the state directory so
that running `pos-terminal provision` again after an interruption resumes (or redoes safely):

  key        RSA-2048 signing key generated on the device (terminal_key.pem, mode 0600)
  register   signed with the NEW key under `Client-Id: activation`; the answer must verify with
             the acquirer signing key the technician pins (--acquirer-key). The acquirer replays
             its answer for the same activation code and key, so a lost answer is re-asked.
  config     acquirer keys stored as PEM files in the state directory; production TOML written
  secrets    device HMAC key, control token, technician and manager PINs
  verify     one signed inquiry with the new identity (ORDER_NOT_EXIST, verified) proves it works
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import requests
import tomli_w
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from . import __version__, signing
from .acquirer import INQUIRY, REGISTER, AcquirerClient, AcquirerResult, Credentials
from .config import Config, parse_config
from .crashpoints import crashpoint
from .endpoints import make_client
from .errors import FaultError, InputError
from .files import write_atomic
from .keystore import SIGNING_KEY, KeyStore
from .link_checks import ResponseClock, explain_failure
from .money import MINOR_UNITS
from .pins import PinVault

RECORD = "provisioning.json"
ACQUIRER_SIGNING_KEY = "acquirer_signing_key.pem"
ACQUIRER_ENCRYPTION_KEY = "acquirer_encryption_key.pem"
ACQUIRER_CA = "acquirer_ca.pem"
ACTIVATION_CLIENT_ID = "activation"
CONFIG_HEADER = """\
# Production configuration written by `pos-terminal provision` (see config/production.example.toml).
# Identity and acquirer keys come from the acquirer's register answer; secrets (the terminal's
# private key, HMAC key, PIN hashes, control token) are files of mode 0600 in storage.state_dir.
# Edit [scanner], [printer], [control] and [ui] to fit the device; leave [acquirer] identity alone
# (`pos-terminal rotate-key` updates key_version).
"""

Progress = Callable[[str], None]


@dataclass
class ProvisionRequest:
    activation_code: str
    base_url: str
    acquirer_key_pem: bytes
    state_dir: Path
    config_out: Path
    serial_number: str
    base_config: Config = field(default_factory=Config)
    ca_bundle: Path | None = None
    pins: dict[str, str] = field(default_factory=dict)   # role -> PIN, only those to (re)set
    machine_id: str | None = None    # the device's machine id (None: /etc/machine-id; tests pass one)


@dataclass
class ProvisionOutcome:
    config_path: Path
    client_id: str
    terminal_id: str
    key_version: int
    merchant_name: str
    resumed: bool


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _key_fingerprint(key: RSAPrivateKey) -> str:
    return hashlib.sha256(signing.public_key_pem(key)).hexdigest()[:32]


class Provisioner:
    def __init__(self, request: ProvisionRequest, *, progress: Progress = lambda _m: None,
                 session: requests.Session | None = None):
        self.req = request
        self.say = progress
        self.state_dir = Path(request.state_dir)
        self.keystore = KeyStore(state_dir=self.state_dir)
        self.session = session or requests.Session()
        self.clock = ResponseClock().attach(self.session)
        try:
            self.acquirer_key = signing.load_public_key(request.acquirer_key_pem)
        except ValueError as exc:
            raise InputError(f"--acquirer-key is not an RSA public key in PEM form ({exc})") from None

    # -- the progress record (no secrets: a hash of the activation code, public data) ---------
    def _record_path(self) -> Path:
        return self.state_dir / RECORD

    def _load_record(self) -> dict | None:
        try:
            return json.loads(self._record_path().read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            raise FaultError(f"{self._record_path()} is damaged: remove it and provision again",
                             code="PROVISIONING_RECORD") from None

    def _save_record(self, record: dict) -> None:
        write_atomic(self._record_path(), json.dumps(record, indent=1, sort_keys=True).encode())

    # -- steps ----------------------------------------------------------------------------
    def run(self) -> ProvisionOutcome:
        self._prepare_state_dir()
        record = self._load_record()
        code_hash = _code_hash(self.req.activation_code)
        if record and record.get("codeSha256") != code_hash:
            if record.get("stage") in ("registered", "done"):
                raise InputError(
                    f"this device is already registered as terminal {record['register'].get('terminalId')} with "
                    f"another activation code: run this again with that code to finish, or "
                    f"`pos-terminal factory-reset` first", code="ALREADY_PROVISIONED")
            # an earlier attempt that never registered (e.g. a mistyped code): start over, keeping its key
            record = {"codeSha256": code_hash, "stage": "new", "keyFingerprint": record.get("keyFingerprint")}
        resumed = record is not None and record.get("stage") != "new"
        if resumed and record is not None:
            self.say(f"resuming an interrupted provisioning (last step done: {record['stage']})")
        record = record or {"codeSha256": code_hash, "stage": "new"}
        key = self._step_key(record)
        answer = self._step_register(record, key)
        config_path = self._step_config(record, answer)
        self._step_secrets()
        self._step_verify(answer, key)
        self._stamp(config_path)
        record["stage"] = "done"
        record["configPath"] = str(config_path)
        self._save_record(record)
        return ProvisionOutcome(config_path, answer["clientId"], answer["terminalId"], int(answer["keyVersion"]),
                                _merchant(answer).get("merchantName", ""), resumed)

    def _prepare_state_dir(self) -> None:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.state_dir.chmod(0o700)
        except OSError as exc:
            raise FaultError(f"state directory {self.state_dir} is not usable ({exc.strerror}): pass --state-dir "
                             f"or fix its owner/permissions", code="STATE_DIR") from None

    def _step_key(self, record: dict) -> RSAPrivateKey:
        key_path = self.keystore.path(SIGNING_KEY)
        if key_path.exists():
            key = self.keystore.signing_key()
            if record.get("keyFingerprint") == _key_fingerprint(key):
                self.say(f"[1/5] signing key: keeping the key generated earlier ({key_path})")
                return key
            raise InputError(
                    f"a terminal key already exists at {key_path} that provisioning did not generate: this "
                    f"device looks set up already; run `pos-terminal factory-reset` first", code="KEY_EXISTS")
        key = signing.generate_private_key()
        self.keystore.store_signing_key(key)
        record.update(stage="key", keyFingerprint=_key_fingerprint(key))
        self._save_record(record)
        self.say(f"[1/5] signing key: RSA-2048 generated on the device ({key_path}, mode 0600)")
        crashpoint("provision_after_key")
        return key

    def _client(self, base_url: str) -> AcquirerClient:
        return make_client(self.req.base_config.acquirer, base_url=base_url,   # every call passes its credentials
                           ca_bundle=str(self.req.ca_bundle) if self.req.ca_bundle else None,
                           acquirer_public_key=self.acquirer_key, session=self.session)

    def _fail(self, result: AcquirerResult, what: str) -> NoReturn:
        clock = self.clock.problem()
        if clock:
            raise FaultError(clock, code="CLOCK")
        if result.failed and result.code == "ACTIVATION_CODE_INVALID":
            raise InputError("the activation code is wrong or already used: check it, or ask the acquirer's "
                             "portal for a new one", code="ACTIVATION_CODE_INVALID")
        raise FaultError(f"{what} failed: " + explain_failure(result, base_url=self.req.base_url,
                                                              ca_bundle=str(self.req.ca_bundle or "")),
                         code=result.code or "REGISTER")

    def _step_register(self, record: dict, key: RSAPrivateKey) -> dict:
        if record.get("stage") in ("registered", "done") and record.get("register"):
            self.say(f"[2/5] registration: already done (terminal {record['register']['terminalId']})")
            return record["register"]
        body = {"activationCode": self.req.activation_code, "serialNumber": self.req.serial_number,
                "publicKey": signing.public_key_pem(key).decode(), "model": self.req.base_config.terminal.model,
                "softwareVersion": __version__}
        self.say(f"[2/5] registration: sending the activation code to {self.req.base_url}")
        result = self._client(self.req.base_url).call(
            REGISTER, body, credentials=Credentials(ACTIVATION_CLIENT_ID, 1, key), client_id_header=ACTIVATION_CLIENT_ID)
        crashpoint("provision_after_register_response")
        if not result.ok:
            self._fail(result, "registration")
        if self.clock.off:
            raise FaultError(self.clock.problem(), code="CLOCK")
        answer = _check_answer(result.body, self.acquirer_key)
        record.update(stage="registered", register=answer, baseUrl=self.req.base_url)
        self._save_record(record)
        self.say(f"      registered: client {answer['clientId']}, terminal {answer['terminalId']}, "
                 f"merchant {_merchant(answer).get('merchantName', '?')}")
        crashpoint("provision_after_register")
        return answer

    def _step_config(self, record: dict, answer: dict) -> Path:
        sd = self.state_dir
        write_atomic(sd / ACQUIRER_SIGNING_KEY, answer["acquirerSigningKey"].encode(), mode=0o644)
        write_atomic(sd / ACQUIRER_ENCRYPTION_KEY, answer["acquirerEncryptionKey"]["publicKey"].encode(), mode=0o644)
        ca_path = ""
        if self.req.ca_bundle:
            ca = Path(self.req.ca_bundle)
            if ca.resolve() != (sd / ACQUIRER_CA).resolve():
                write_atomic(sd / ACQUIRER_CA, ca.read_bytes(), mode=0o644)
            ca_path = str(sd / ACQUIRER_CA)
        data = production_config(self.req.base_config, answer, base_url=self.req.base_url, state_dir=sd,
                                 ca_bundle=ca_path, serial_number=self.req.serial_number)
        text = CONFIG_HEADER + tomli_w.dumps(data)
        parse_config(_toml_loads(text), source=self.req.config_out)   # never write a config that will not load
        write_atomic(self.req.config_out, text.encode(), mode=0o644)
        self.say(f"[3/5] configuration: written to {self.req.config_out} (acquirer keys in {sd})")
        crashpoint("provision_after_config")
        return self.req.config_out

    def _step_secrets(self) -> None:
        self.keystore.hmac_key()
        self.keystore.control_token(create=True)
        vault = PinVault(state_dir=self.state_dir)
        for role, pin in self.req.pins.items():
            vault.set_pin(role, pin)
        missing = [r for r in ("technician", "manager") if not vault.is_set(r)]
        if missing:
            raise InputError(f"no {missing[0]} PIN: pass --{missing[0]}-pin-file FILE (or run on a terminal to be "
                             f"prompted)", code="PIN_NOT_SET")
        self.say("[4/5] secrets: device HMAC key, control token, technician and manager PINs (mode 0600)")

    def _stamp(self, config_path: Path) -> None:
        """The journal learns whose it is: this acquirer identity, this config, this device."""
        from .config import load_config
        from .identity import identity_of, machine_id, stamp_state_dir

        config = load_config(config_path)
        stamp_state_dir(self.state_dir, identity_of(config, config_path=config_path,
                                                    machine=machine_id(self.req.machine_id)))

    def _step_verify(self, answer: dict, key: RSAPrivateKey) -> None:
        """One signed inquiry for an id that cannot exist: a verified ORDER_NOT_EXIST proves the
        acquirer knows our key and we know its key."""
        result = self._client(self.req.base_url).call(
            INQUIRY, {"paymentRequestId": f"PROBE-{uuid.uuid4().hex}"},
            credentials=Credentials(answer["clientId"], int(answer["keyVersion"]), key))
        if not result.not_received:   # ORDER_NOT_EXIST, in the call's result or in paymentResult
            self._fail(result, "the signed test exchange with the new identity")
        self.say("[5/5] verified: a signed test exchange with the acquirer succeeded")


def _merchant(answer: dict) -> dict:
    merchant = answer.get("merchant")
    return merchant if isinstance(merchant, dict) else {}


def _check_answer(body: dict, pinned: RSAPublicKey) -> dict:
    """Keep the fields provisioning needs; the acquirer key in the answer must be the pinned one."""
    try:
        answer: dict[str, Any] = {
            "clientId": str(body["clientId"]), "terminalId": str(body["terminalId"]),
            "keyVersion": str(int(body["keyVersion"])), "merchant": _merchant(body),
            "acquirerSigningKey": str(body["acquirerSigningKey"]),
            "acquirerEncryptionKey": {"kid": str(body["acquirerEncryptionKey"]["kid"]),
                                      "publicKey": str(body["acquirerEncryptionKey"]["publicKey"])},
            "currencies": [str(c) for c in body.get("currencies") or []],
        }
        offered = signing.load_public_key(answer["acquirerSigningKey"].encode())
        signing.load_public_key(answer["acquirerEncryptionKey"]["publicKey"].encode())
    except (KeyError, TypeError, ValueError) as exc:
        raise FaultError(f"the acquirer's register answer is incomplete ({exc}): contact the acquirer",
                         code="REGISTER_ANSWER") from None
    if offered.public_numbers() != pinned.public_numbers():
        raise FaultError("the register answer names a different acquirer signing key than --acquirer-key pins: "
                         "check that you have the acquirer's current key and the right URL", code="ACQUIRER_KEY")
    return answer


def production_config(base: Config, answer: dict, *, base_url: str, state_dir: Path, ca_bundle: str,
                      serial_number: str) -> dict:
    """The production TOML (as a dict) from a base profile and the register answer."""
    data = base.model_dump(mode="json", exclude={"source", "sandbox"})
    terminal = data["terminal"]
    # The profile's currencies that the acquirer supports for this merchant; if none, the acquirer's
    # currencies in which the profile's max_amount is a valid amount.
    offered = [c for c in answer.get("currencies") or [] if c in MINOR_UNITS]
    currencies = [c for c in terminal["currencies"] if c in offered] or [
        c for c in offered if _valid_amount(terminal["max_amount"], c)] or terminal["currencies"]
    terminal.update(serial_number=serial_number, currencies=currencies)
    if terminal["currency"] not in currencies:
        terminal["currency"] = currencies[0]
    merchant = _merchant(answer)
    store = merchant.get("store")
    store = store if isinstance(store, dict) else {}
    data["merchant"] = {"id": merchant.get("referenceMerchantId", ""), "name": merchant.get("merchantName", ""),
                        "store_id": store.get("referenceStoreId", ""), "store_name": store.get("storeName", "")}
    data["acquirer"].update(
        base_url=base_url, client_id=answer["clientId"], terminal_id=answer["terminalId"],
        key_version=int(answer["keyVersion"]), ca_bundle=ca_bundle,
        signing_public_key=str(state_dir / ACQUIRER_SIGNING_KEY),
        encryption_public_key=str(state_dir / ACQUIRER_ENCRYPTION_KEY),
        encryption_kid=answer["acquirerEncryptionKey"]["kid"])
    data["storage"] = {"state_dir": str(Path(state_dir).resolve())}
    return data


def _valid_amount(text: str, currency: str) -> bool:
    from .money import parse_amount

    try:
        parse_amount(text, currency)
    except InputError:
        return False
    return True


def _toml_loads(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


def device_serial_number() -> str | None:
    """The Raspberry Pi's serial (device tree), if this is one."""
    for path in ("/proc/device-tree/serial-number", "/sys/firmware/devicetree/base/serial-number"):
        try:
            text = Path(path).read_bytes().rstrip(b"\0").decode().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return f"RPI-{text}"
    return None

