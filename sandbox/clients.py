"""Terminal clients, their keys and one-time activation codes (admin and register share these)."""
from __future__ import annotations

import json
import secrets

from .protocol import now_ms
from .signatures import read_public_pem
from .store import Store

DEFAULT_MERCHANT = {
    "referenceMerchantId": "SBX-M-0001",
    "merchantName": "Sandbox Coffee",
    "merchantMCC": "5814",
    "store": {"referenceStoreId": "SBX-S-0001", "storeName": "Sandbox Coffee, Main Street"},
}


def register_client(store: Store, *, client_id: str, terminal_id: str, public_key_pem: bytes | str,
                    key_version: int = 1, merchant: dict | None = None) -> dict:
    """Create or update a client and make `key_version` its current key. Idempotent."""
    pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
    read_public_pem(pem.encode())  # ValueError if not an RSA public key
    if not client_id or not terminal_id or int(key_version) < 1:
        raise ValueError("client_id and terminal_id must be non-empty, key_version >= 1")
    key_version = int(key_version)
    now = now_ms()
    with store.tx():
        if store.client(client_id) is None:
            store.insert("clients", {"client_id": client_id, "terminal_id": terminal_id,
                                     "merchant_json": json.dumps(merchant or DEFAULT_MERCHANT),
                                     "created_ms": now})
        else:
            store.update("clients", {"client_id": client_id}, {"terminal_id": terminal_id})
        existing = {k["key_version"]: k for k in store.client_keys(client_id)}
        if key_version in existing:
            store.update("client_keys", {"client_id": client_id, "key_version": key_version},
                         {"public_key_pem": pem, "superseded_ms": None})
        else:
            store.insert("client_keys", {"client_id": client_id, "key_version": key_version,
                                         "public_key_pem": pem, "created_ms": now})
        store.run("UPDATE client_keys SET superseded_ms = ? WHERE client_id = ? AND key_version < ? "
                  "AND superseded_ms IS NULL", now, client_id, key_version)
    return client_view(store, client_id)


def client_view(store: Store, client_id: str) -> dict:
    client = store.client(client_id)
    if client is None:      # callers look the id up first (admin answers 404)
        raise LookupError(f"unknown client {client_id}")
    keys = store.client_keys(client_id)
    return {
        "clientId": client["client_id"], "terminalId": client["terminal_id"],
        "merchant": json.loads(client["merchant_json"]),
        "keys": [{"keyVersion": k["key_version"], "current": k["superseded_ms"] is None,
                  "supersededMs": k["superseded_ms"]} for k in keys],
    }


def create_activation_code(store: Store, *, code: str | None = None, merchant: dict | None = None) -> str:
    code = code or "ACT-" + "-".join(secrets.token_hex(2).upper() for _ in range(3))
    with store.tx():
        if store.one("SELECT code FROM activation_codes WHERE code = ?", code):
            raise ValueError(f"activation code {code} already exists")
        store.insert("activation_codes", {"code": code, "created_ms": now_ms(),
                                          "merchant_json": json.dumps(merchant) if merchant else None})
    return code


def list_activation_codes(store: Store) -> list[dict]:
    rows = store.all("SELECT code, created_ms, used_ms, client_id FROM activation_codes ORDER BY created_ms")
    return [{"activationCode": r["code"], "used": r["used_ms"] is not None, "clientId": r["client_id"],
             "createdMs": r["created_ms"], "usedMs": r["used_ms"]} for r in rows]
