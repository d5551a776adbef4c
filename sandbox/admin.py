"""Admin API on /admin: loopback peers only, unsigned. Test harnesses drive the sandbox here.

JSON in and out; errors are HTTP 4xx with {"detail": "..."}.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from . import clients
from .faults import Fault
from .protocol import HOUR_MS
from .store import Store
from .views import payment_view, refund_view

if TYPE_CHECKING:
    from .context import SandboxContext

JSON = dict[str, Any]   # what a route answers (FastAPI serialises it as it is)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def loopback_only(request: Request) -> None:
    peer = request.client.host if request.client else None
    if peer not in LOOPBACK and not (peer or "").startswith("127."):
        raise HTTPException(status_code=403, detail="the admin API answers loopback peers only")


def build_admin_router(ctx: SandboxContext) -> APIRouter:
    router = APIRouter(prefix="/admin", dependencies=[Depends(loopback_only)], include_in_schema=False)
    store = ctx.store

    def bad(exc: Exception) -> HTTPException:
        return HTTPException(status_code=400, detail=str(exc))

    @router.get("/health")
    def health(request: Request) -> JSON:
        base = f"{request.url.scheme}://{request.url.netloc}"
        return {"ok": True, **ctx.describe(base)}

    @router.get("/faults")
    def get_faults() -> JSON:
        return {"faults": ctx.faults.list()}

    @router.post("/faults")
    def add_faults(body: dict = Body(...)) -> JSON:
        """Add one fault ({"kind": ...}) or several ({"faults": [...]})."""
        try:
            for fault in body.get("faults", [body]):
                ctx.faults.add(Fault.from_dict(fault))
        except (TypeError, ValueError, KeyError) as exc:
            raise bad(exc)
        return {"faults": ctx.faults.list()}

    @router.put("/faults")
    def replace_faults(body: dict = Body(...)) -> JSON:
        try:
            ctx.faults.set(body.get("faults", []))
        except (TypeError, ValueError) as exc:
            raise bad(exc)
        return {"faults": ctx.faults.list()}

    @router.delete("/faults")
    @router.post("/faults/reset")
    def reset_faults() -> JSON:
        ctx.faults.reset()
        return {"faults": []}

    @router.get("/late-deliveries")
    def late_deliveries() -> JSON:
        """Requests held by the late_delivery fault: when and why each reached the acquirer."""
        return {"lateDeliveries": ctx.late.list()}

    @router.get("/held")
    def held_answers() -> JSON:
        """Answers held by the hold_answer fault, and whether each is still held."""
        return {"held": ctx.held.list()}

    @router.post("/held/release")
    def release_held() -> JSON:
        return {"released": ctx.held.release()}

    @router.get("/settings")
    def get_settings() -> JSON:
        return {"slowResponseS": ctx.settings.slow_response_s, "basePath": ctx.settings.base_path}

    @router.post("/settings")
    def set_settings(body: dict = Body(...)) -> JSON:
        if "slowResponseS" in body:
            try:
                ctx.settings.slow_response_s = max(0.0, float(body["slowResponseS"]))
            except (TypeError, ValueError) as exc:
                raise bad(exc)
        return get_settings()

    @router.post("/clients")
    def register_client(body: dict = Body(...)) -> JSON:
        try:
            return clients.register_client(
                store, client_id=body["client_id"], terminal_id=body["terminal_id"],
                public_key_pem=body["public_key_pem"], key_version=int(body.get("key_version", 1)),
                merchant=body.get("merchant"))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(exc)

    @router.get("/clients")
    def list_clients() -> JSON:
        ids = [r["client_id"] for r in store.all("SELECT client_id FROM clients ORDER BY created_ms")]
        return {"clients": [clients.client_view(store, i) for i in ids]}

    @router.post("/clients/{client_id}/keys/age")
    def age_keys(client_id: str, body: dict = Body(...)) -> JSON:
        """Move the client's key rotations N hours into the past (the 24 h grace of a previous key)."""
        try:
            shift = int(float(body["hours"]) * HOUR_MS)
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(exc)
        if store.client(client_id) is None:
            raise HTTPException(status_code=404, detail=f"unknown client {client_id}")
        with store.tx():
            store.run("UPDATE client_keys SET created_ms = created_ms - ?, superseded_ms = superseded_ms - ? "
                      "WHERE client_id = ?", shift, shift, client_id)
        return clients.client_view(store, client_id)

    @router.post("/activation-codes")
    def create_code(body: dict = Body(default={})) -> JSON:
        try:
            code = clients.create_activation_code(store, code=body.get("code"), merchant=body.get("merchant"))
        except ValueError as exc:
            raise HTTPException(status_code=409, detail=str(exc))
        return {"activationCode": code}

    @router.get("/activation-codes")
    def list_codes() -> JSON:
        return {"activationCodes": clients.list_activation_codes(store)}

    @router.get("/payments")
    def list_payments(client_id: str | None = None) -> JSON:
        rows = _rows(store, "payments", client_id, "created_ms, payment_request_id")
        return {"payments": [payment_view(store, r) for r in rows]}

    @router.get("/payments/{payment_request_id}")
    def get_payment(payment_request_id: str, client_id: str | None = None) -> JSON:
        return payment_view(store, _one(store, "payments", "payment_request_id", payment_request_id, client_id))

    @router.post("/payments/{payment_request_id}/age")
    def age_payment(payment_request_id: str, body: dict = Body(...), client_id: str | None = None) -> JSON:
        """Move the payment (and its refunds' clock) N hours into the past."""
        try:
            shift = int(float(body["hours"]) * HOUR_MS)
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(exc)
        row = _one(store, "payments", "payment_request_id", payment_request_id, client_id)
        with store.tx():
            store.run("UPDATE payments SET created_ms = created_ms - ?, "
                      "payment_time_ms = payment_time_ms - ? WHERE client_id = ? AND payment_request_id = ?",
                      shift, shift, row["client_id"], payment_request_id)
        return payment_view(store, _one(store, "payments", "payment_request_id", payment_request_id, row["client_id"]))

    @router.get("/refunds")
    def list_refunds(client_id: str | None = None) -> JSON:
        return {"refunds": [refund_view(r) for r in _rows(store, "refunds", client_id, "created_ms")]}

    @router.get("/refunds/{refund_request_id}")
    def get_refund(refund_request_id: str, client_id: str | None = None) -> JSON:
        return refund_view(_one(store, "refunds", "refund_request_id", refund_request_id, client_id))

    @router.get("/batches")
    def list_batches(client_id: str | None = None) -> JSON:
        rows = _rows(store, "batches", client_id, "created_ms")
        return {"batches": [{"clientId": r["client_id"], "batchId": r["batch_id"],
                             "response": json.loads(r["response_json"])} for r in rows]}

    return router


def _rows(store: Store, table: str, client_id: str | None, order: str) -> list[dict]:
    if client_id:
        return store.all(f"SELECT * FROM {table} WHERE client_id = ? ORDER BY {order}", client_id)
    return store.all(f"SELECT * FROM {table} ORDER BY {order}")


def _one(store: Store, table: str, column: str, value: str, client_id: str | None) -> dict:
    sql = f"SELECT * FROM {table} WHERE {column} = ?" + (" AND client_id = ?" if client_id else "")
    rows = store.all(sql, value, *([client_id] if client_id else []))
    if not rows:
        raise HTTPException(status_code=404, detail=f"no {table[:-1]} {value}")
    if len(rows) > 1:
        raise HTTPException(status_code=409, detail=f"{value} exists for several clients: pass client_id")
    return rows[0]
