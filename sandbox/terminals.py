"""register and rotateKey: a terminal's identity and signing keys at the acquirer.

register is signed with the terminal's NEW key (proof of possession) under
`Client-Id: activation`; the activation code is one-time, and a repeat with the same code
and the same public key returns the stored answer (so an interrupted provisioning resumes).
Client and terminal ids are deterministic: SBX-C-000001, SBX-T-000001, ... in order.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .auth import ACTIVATION_CLIENT_ID, Client, check_request_time, check_signature, signature_header
from .clients import DEFAULT_MERCHANT, register_client
from .faults import FaultPlan
from .logs import log_event
from .protocol import Refusal, illegal, now_ms, req_str, result
from .service import Answer
from .signatures import header_value, read_public_pem

if TYPE_CHECKING:
    from .context import SandboxContext


class Terminals:
    def __init__(self, ctx: SandboxContext):
        self.ctx = ctx
        self.store = ctx.store

    def register(self, path: str, headers: Mapping[str, str], body: bytes, data: dict, plan: FaultPlan) -> Answer:
        if header_value(headers, "Client-Id") != ACTIVATION_CLIENT_ID:
            raise Refusal("ACCESS_DENIED", "register must be sent with Client-Id: activation")
        code = req_str(data, "activationCode")
        pem = req_str(data, "publicKey")
        for name in ("serialNumber", "model", "softwareVersion"):
            req_str(data, name, optional=True)
        try:
            public_key = read_public_pem(pem.encode())
        except ValueError as exc:
            raise illegal(f"publicKey: {exc}") from None
        if public_key.key_size != 2048:
            raise illegal("publicKey must be RSA 2048")
        header = signature_header(headers)
        check_signature(public_key, path=path, headers=headers, body=body, header=header)
        check_request_time(headers, skew_s=plan.skew_s)
        with self.store.tx():
            row = self.store.one("SELECT * FROM activation_codes WHERE code = ?", code)
            if row is None:
                raise Refusal("ACTIVATION_CODE_INVALID")
            if row["used_ms"] is not None:
                if row["public_key_pem"] == pem and row["response_json"]:
                    return Answer(json.loads(row["response_json"]))
                raise Refusal("ACTIVATION_CODE_INVALID")
            n = self.store.next_value("client_number")
            client_id, terminal_id = f"SBX-C-{n:06d}", f"SBX-T-{n:06d}"
            merchant = json.loads(row["merchant_json"]) if row["merchant_json"] else DEFAULT_MERCHANT
            register_client(self.store, client_id=client_id, terminal_id=terminal_id, public_key_pem=pem,
                            key_version=header.key_version, merchant=merchant)
            answer = {
                "result": result("SUCCESS"), "clientId": client_id, "terminalId": terminal_id,
                "keyVersion": str(header.key_version), "merchant": merchant,
                "acquirerSigningKey": self.ctx.keys.signing_public_pem.decode(),
                "acquirerEncryptionKey": {"kid": self.ctx.keys.encryption_kid,
                                          "publicKey": self.ctx.keys.encryption_public_pem.decode()},
                "currencies": list(self.ctx.settings.currencies),
            }
            self.store.update("activation_codes", {"code": code}, {
                "used_ms": now_ms(), "client_id": client_id, "public_key_pem": pem,
                "response_json": json.dumps(answer)})
        log_event("register", clientId=client_id, terminalId=terminal_id, serialNumber=data.get("serialNumber"))
        return Answer(answer)

    def rotate_key(self, client: Client, data: dict, plan: FaultPlan) -> Answer:
        pem = req_str(data, "newPublicKey")
        version_text = req_str(data, "newKeyVersion")
        if not version_text.isdigit() or not 1 <= int(version_text) < 10**9:
            raise illegal("newKeyVersion must be a positive integer as a string")
        version = int(version_text)
        try:
            key = read_public_pem(pem.encode())
        except ValueError as exc:
            raise illegal(f"newPublicKey: {exc}") from None
        if key.key_size != 2048:
            raise illegal("newPublicKey must be RSA 2048")
        with self.store.tx():
            existing = {k["key_version"]: k for k in self.store.client_keys(client.client_id)}
            if version in existing:
                if existing[version]["public_key_pem"] != pem:
                    raise Refusal("REPEAT_REQ_INCONSISTENT", "newKeyVersion already used with another key")
            elif version <= max(existing):
                raise illegal(f"newKeyVersion must be greater than {max(existing)}")
            else:
                now = now_ms()
                self.store.run("UPDATE client_keys SET superseded_ms = ? WHERE client_id = ? AND "
                               "superseded_ms IS NULL", now, client.client_id)
                self.store.insert("client_keys", {"client_id": client.client_id, "key_version": version,
                                                  "public_key_pem": pem, "created_ms": now})
        log_event("rotateKey", clientId=client.client_id, keyVersion=version)
        return Answer({"result": result("SUCCESS"), "clientId": client.client_id, "keyVersion": str(version)})


def install(ctx: SandboxContext) -> None:
    from .batch import BatchClose

    terminals = Terminals(ctx)
    batches = BatchClose(store=ctx.store)
    ctx.acquirer.add_route("register", terminals.register, self_signed=True)
    ctx.acquirer.add_route("rotateKey", terminals.rotate_key)
    ctx.acquirer.add_route("batchClose", lambda c, d, p: Answer(batches.close(c, d)))
