"""The control API application (terminal-interfaces.md §2): `create_app(...)`.

Handlers are plain `def` functions, so FastAPI runs them in its threadpool: the core's blocking
calls (a void can take the whole inquiry window) never block the event loop. Only the event
stream is async, and it reads the journal through the threadpool too.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, overload

from fastapi import FastAPI, Header, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..checkout import Checkout, PendingSale, TerminalState
from ..codes import PaymentCodeError
from ..errors import InputError, UnknownResultError
from ..money import Money, money_from_api
from ..records import Transaction
from ..refund_reasons import refund_reason
from ..service import Terminal
from . import models as m
from .auth import BearerAuth, FailureLimiter
from .errors import ApiError, error_response, install_error_handlers
from .events import BadPosition, EventStream, parse_position
from .hot_routes import HotRoute, HotRoutes
from .idempotency import differing_field
from .limits import BodyLimit, ControlLimits

API_VERSION = "1.0.0"
_SINCE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?Z?)?$")
_ABORTED_KEPT = 100

_DESCRIPTION = """Local control API for cash registers (ECR) and test rigs (terminal-interfaces.md section 2).

Every /v1 request needs `Authorization: Bearer <token>` (the file `control_token` in the terminal's
state directory). Wrong tokens are limited: five from one address, or fifty in all, within a
minute, and every further wrong token is answered 429 with `Retry-After`. A request with the
right token is always served.

Limits: request bodies up to 64 KiB (413 `BODY_TOO_LARGE` beyond; 408 `BODY_TIMEOUT` when a body
stalls for 10 s); request headers must arrive within 10 s of connecting (or of the previous
answer), the request line and headers up to 16 KiB (400 and closed beyond); an idle keep-alive
connection is closed after 5 s; at most 64 connections, where a new one replaces the one that
has waited longest without a request.

A sale: `POST /v1/sales` (201, the terminal waits for the customer's code; 200 with the same
transaction for a repeated `idempotencyKey`, also after a restart), then the scan (a scanner, or
`POST /v1/scans` on a rig), then the result on `GET /v1/events` or `GET /v1/transactions/{id}`.

Errors are `{"error": {"code", "message"}}`: 400 bad input (`BAD_JSON`, `UNKNOWN_FIELD`,
`BAD_AMOUNT`, `BAD_CURRENCY`, `CURRENCY_NOT_ENABLED`, `AMOUNT_TOO_LARGE`, `BAD_PAYMENT_CODE`,
`BAD_REQUEST`, ...), 401 token, 403 manager or owner PIN wrong
(`WRONG_PIN`) or locked (`PIN_LOCKED`, with `Retry-After`), no owner PIN set for an override
(`NO_OVERRIDE`), or scans not enabled, 404 no such transaction, 409 not possible in the current state
(`SALE_IN_PROGRESS`, `NO_SALE_AWAITING_SCAN`, `SALE_PROCESSING`, `NOT_VOIDABLE`,
`IDEMPOTENCY_KEY_REUSED`, ...), 422 refused by the acquirer (e.g. a refund), 429 too many wrong
tokens, 503 terminal fault (configuration, keys, journal: a technician must act). 202 on a void or
refund: the outcome is not confirmed yet (the body is the transaction plus `error`); the terminal
keeps resolving it and the event stream shows the result.

Events: `id: <seq>` and `data: <JSON>` per journal event (`seq, txId, at, kind, from, to,
detail`; kinds `state`, `checkout`, `refund`, `progress`, `fault`, `scan_rejected`), in sequence
order; reconnect with `Last-Event-ID` (or `?after=`) to get exactly what was missed. Comment
lines are heartbeats.
"""

_E: dict[str, Any] = {"model": m.ErrorResponse}
# OpenAPI links: what a client (and schemathesis' stateful runs) does next with a sale's id.
_TX_ID = {"tx_id": "$response.body#/transactionId"}
_SALE_LINKS = {
    "GetTransaction": {"operationId": "get_transaction_v1_transactions__tx_id__get", "parameters": _TX_ID},
    "CancelSale": {"operationId": "cancel_v1_transactions__tx_id__cancel_post", "parameters": _TX_ID},
    "RefundSale": {"operationId": "refund_v1_transactions__tx_id__refunds_post", "parameters": _TX_ID},
}
_COMMON: dict[int | str, dict[str, Any]] = {400: _E, 401: {"model": m.ErrorResponse, "description": "missing or wrong bearer token"},
           429: {"model": m.ErrorResponse, "description": "too many wrong tokens (never for the right token)"},
           413: {"model": m.ErrorResponse, "description": "request body over 64 KiB"},
           503: {"model": m.ErrorResponse, "description": "terminal fault: a technician must act"}}


@overload
def _amount(obj: m.Amount, what: str) -> Money: ...
@overload
def _amount(obj: m.Amount | None, what: str) -> Money | None: ...
def _amount(obj: m.Amount | None, what: str) -> Money | None:
    """The JSON amount object as Money; what a sale may be is the core's SaleRules."""
    if obj is None:
        return None
    try:
        return money_from_api(obj.model_dump())
    except ValueError as exc:
        raise ApiError(400, "BAD_AMOUNT", f"{what}: {exc}") from None


class ControlApi:
    """State the handlers share: the core objects, and the sales aborted before a scan (kept in
    memory, the last few, so `GET /v1/transactions/{id}` can still say what became of them)."""

    def __init__(self, *, terminal: Terminal, checkout: Checkout, scans_enabled: bool,
                 sandbox: dict | None, devices: Callable[[], dict[str, dict]] | None):
        self.terminal, self.checkout, self.scans_enabled = terminal, checkout, scans_enabled
        self.sandbox, self._devices = sandbox, devices
        self._aborted: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def remember_aborted(self, sale: PendingSale) -> dict:
        view = {**sale.to_api(), "state": "CANCELLED", "awaitingScan": False, "aborted": True}
        with self._lock:
            self._aborted[sale.tx_id] = view
            while len(self._aborted) > _ABORTED_KEPT:
                self._aborted.popitem(last=False)
        return view

    def aborted(self, tx_id: str) -> dict | None:
        with self._lock:
            return self._aborted.get(tx_id)

    def transaction(self, tx_id: str) -> dict:
        aborted = self.aborted(tx_id)
        if aborted is not None:
            return aborted
        pending = self.checkout.pending
        if pending is not None and pending.tx_id == tx_id:
            if self.checkout.state == TerminalState.AWAITING_SCAN:
                return pending.to_api()
            try:
                return self.terminal.get(tx_id).to_api()
            except InputError:   # scanned, not journalled yet: an instant before the pay request
                return {**pending.to_api(), "awaitingScan": False}
        return self.terminal.get(tx_id).to_api()

    def devices(self) -> dict[str, dict]:
        out = dict(self._devices()) if self._devices else {}
        out["printer"] = self.terminal.health().printer.to_api()   # the core's health policy
        return out


def create_app(*, terminal: Terminal, checkout: Checkout, token: str, scans_enabled: bool,
               sandbox: dict | None = None, devices: Callable[[], dict[str, dict]] | None = None,
               limiter: FailureLimiter | None = None, heartbeat_s: float = 10.0,
               event_queue_size: int = 1000, limits: ControlLimits | None = None) -> FastAPI:
    """The control API over one terminal and its checkout.

    sandbox: {"adminUrl", "caBundle"} of the embedded sandbox acquirer (rig profile), shown in
    GET /v1/status. devices: a callable giving extra device health (the scanner).
    """
    api = ControlApi(terminal=terminal, checkout=checkout, scans_enabled=scans_enabled, sandbox=sandbox,
                     devices=devices)
    app = FastAPI(title="pos-terminal control API", version=API_VERSION,
                  description=_DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  # No OpenTelemetry: a terminal sends no telemetry anywhere, and FastAPI asked the
                  # global providers whether to record on every request.
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.control = api
    install_error_handlers(app)

    _status_route(app, api)
    _sale_routes(app, api)
    _transaction_routes(app, api)
    _event_route(app, terminal, heartbeat_s=heartbeat_s, queue_size=event_queue_size)
    _install_openapi(app)
    app.add_middleware(HotRoutes, routes=hot_routes(api))               # inside the body limits
    app.add_middleware(BodyLimit, limits=limits or ControlLimits())     # inside the token check
    app.add_middleware(BearerAuth, token=token, limiter=limiter or FailureLimiter())
    return app


def _status_route(app: FastAPI, api: ControlApi) -> None:
    terminal, checkout, scans_enabled, sandbox = api.terminal, api.checkout, api.scans_enabled, api.sandbox

    @app.get("/v1/status", response_model=None, responses={200: {"model": m.StatusOut}, **_COMMON},
             summary="what the terminal is doing, devices and their health")
    def status() -> dict:
        current = checkout.status()
        devices_now = api.devices()
        state = current["state"]
        if state == TerminalState.IDLE.value and (terminal.faults or any(
                d.get("status") == "FAULT" for d in devices_now.values())):
            state = TerminalState.FAULT.value
        settings = terminal.settings
        out: dict[str, Any] = {
            "state": state, "transactionId": current["transactionId"],
            "terminalId": settings.terminal_id, "serialNumber": settings.serial_number,
            "version": settings.version, "devices": devices_now,
            "currency": settings.currency, "currencies": list(settings.currencies),
            "faults": list(terminal.faults), "scansEnabled": scans_enabled,
            "lastEventSeq": terminal.events.last_seq(),
        }
        if sandbox:
            out["sandbox"] = sandbox
        return out


def sale_started(api: ControlApi, body: m.SaleRequest) -> JSONResponse:
    """POST /v1/sales (also a hot route: hot_routes.py)."""
    checkout = api.checkout
    amount = _amount(body.amount, "amount")
    tip = _amount(body.tip, "tip")
    before = checkout.pending
    found = checkout.begin(amount, tip=tip, reference=body.reference, idempotency_key=body.idempotencyKey)
    if found is before or isinstance(found, Transaction):   # an earlier sale with this key
        field = differing_field(found, amount, tip, body.reference)
        if field is not None:
            raise ApiError(409, "IDEMPOTENCY_KEY_REUSED",
                           f"this idempotencyKey was used for another sale ({field} differs): use a new key "
                           "for a new sale, or repeat the first request exactly")
        return JSONResponse(found.to_api(), status_code=200)
    return JSONResponse(found.to_api(), status_code=201)


def scan_accepted(api: ControlApi, body: m.ScanRequest) -> JSONResponse:
    """POST /v1/scans (also a hot route: hot_routes.py)."""
    if not api.scans_enabled:
        raise ApiError(403, "SCANS_DISABLED", "scans come from the configured scanner on this terminal: "
                                              "POST /v1/scans needs scanner.kind = \"virtual\" (rig profile)")
    try:
        tx_id = api.checkout.scan(body.code)
    except PaymentCodeError as exc:
        raise ApiError(400, exc.code, exc.message) from None
    return JSONResponse({"transactionId": tx_id, "state": "PROCESSING"}, status_code=202)


def hot_routes(api: ControlApi) -> dict[str, HotRoute]:
    """The requests of every sale, served by hot_routes.HotRoutes when their body is valid."""
    return {"/v1/sales": HotRoute(m.SaleRequest, lambda body: sale_started(api, body)),
            "/v1/scans": HotRoute(m.ScanRequest, lambda body: scan_accepted(api, body))}


def _sale_routes(app: FastAPI, api: ControlApi) -> None:
    """Starting a sale and the scan that pays it (a valid request is served by the hot routes,
    these document them and answer everything else)."""

    @app.post("/v1/sales", status_code=201, response_model=None,
              responses={201: {"model": m.TransactionOut, "description": "started: waiting for the scan",
                               "links": _SALE_LINKS},
                         200: {"model": m.TransactionOut, "description": "the sale of this idempotencyKey",
                               "links": _SALE_LINKS},
                         409: _E, **_COMMON},
              summary="start a sale; the terminal then waits for a scan")
    def start_sale(body: m.SaleRequest):
        return sale_started(api, body)

    @app.post("/v1/scans", status_code=202, response_model=None,
              responses={202: {"model": m.ScanAccepted}, 403: _E, 409: _E, **_COMMON},
              summary="inject a scan as if read by the scanner (virtual scanner only)")
    def scan(body: m.ScanRequest):
        return scan_accepted(api, body)


def _transaction_routes(app: FastAPI, api: ControlApi) -> None:
    """Reading, voiding and refunding payments; the batch close."""
    terminal, checkout = api.terminal, api.checkout

    @app.get("/v1/transactions/{tx_id}", response_model=None,
             responses={200: {"model": m.TransactionOut}, 404: _E, **_COMMON}, summary="one transaction")
    def get_transaction(tx_id: str):
        return api.transaction(tx_id)

    @app.get("/v1/transactions", response_model=None, responses={200: {"model": m.TransactionList}, **_COMMON},
             summary="transactions, newest first")
    def list_transactions(since: str | None = Query(None, max_length=40, pattern=_SINCE.pattern,
                                                    description="ISO date or time, e.g. 2026-11-24"),
                          limit: int = Query(200, ge=1, le=1000)):
        return {"transactions": [t.to_api() for t in terminal.transactions(since=since, limit=limit)]}

    @app.post("/v1/transactions/{tx_id}/cancel", response_model=None,
              responses={200: {"model": m.TransactionOut}, 202: {"model": m.UnknownResult}, 404: _E, 409: _E,
                         422: _E, **_COMMON},
              summary="abort a sale awaiting scan, or void an approved one")
    def cancel(tx_id: str):
        pending = checkout.pending
        if pending is not None and pending.tx_id == tx_id and checkout.cancel(tx_id):
            return api.remember_aborted(pending)
        aborted = api.aborted(tx_id)
        if aborted is not None:       # cancelling it again: the same answer
            return aborted
        if checkout.state == TerminalState.PROCESSING and checkout.status()["transactionId"] == tx_id:
            raise ApiError(409, "SALE_PROCESSING", "the payment is being processed: wait for its result, then void it")
        try:
            tx = terminal.void(tx_id)
        except UnknownResultError as exc:
            return error_response(202, exc.code, exc.message, **terminal.get(tx_id).to_api())
        terminal.receipts.print(tx)   # the void slip (outcome.receipt_due)
        return tx.to_api()

    @app.post("/v1/transactions/{tx_id}/refunds", response_model=None,
              responses={200: {"model": m.RefundResult}, 202: {"model": m.UnknownResult}, 403: _E, 404: _E,
                         409: _E, 422: _E, **_COMMON},
              summary="full or partial refund (manager PIN, or the owner PIN as an override)")
    def refund(tx_id: str, body: m.RefundRequest):
        tx = terminal.get(tx_id)
        amount = _amount(body.amount, "amount")
        if amount is not None and amount.currency != tx.currency:
            raise ApiError(400, "BAD_AMOUNT", f"amount: the payment is in {tx.currency}")
        reason = refund_reason(body.reason, body.reasonText)     # BAD_REASON before the PIN is tried
        try:
            result = terminal.refund(tx_id, amount, pin=body.managerPin, owner_pin=body.ownerPin, reason=reason)
        except UnknownResultError as exc:
            return error_response(202, exc.code, exc.message, **terminal.get(tx_id).to_api())
        tx = terminal.get(tx_id)
        terminal.receipts.print_refund(tx, result)
        return {"refund": result.to_api(), "transaction": tx.to_api()}

    @app.post("/v1/batches/close", response_model=None,
              responses={200: {"model": m.BatchReportOut}, 409: _E, 422: _E, **_COMMON},
              summary="batch close with the acquirer, with the reconciliation")
    def close_batch():
        if checkout.state in (TerminalState.PROCESSING,):
            raise ApiError(409, "SALE_PROCESSING", "a payment is being processed: close the batch after its result")
        report = terminal.close_batch()
        terminal.receipts.print_batch_report(report)
        return report.to_api()


def _event_route(app: FastAPI, terminal: Terminal, *, heartbeat_s: float, queue_size: int) -> None:
    event_queue_size = queue_size

    @app.get("/v1/events", response_model=None,
             responses={200: {"description": "text/event-stream: `id: <seq>` and `data: <event JSON>` per event; "
                                             "comments as heartbeats",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                        400: {"model": m.ErrorResponse, "description": "Last-Event-ID or after is not a sequence "
                                                                       "number (BAD_EVENT_ID)"},
                        409: {"model": m.ErrorResponse, "description": "the position is past the journal's last "
                                                                       "event (EVENT_ID_AHEAD: the journal was reset)"},
                        **_COMMON},
             summary="Server-Sent Events: every state change with its sequence number")
    async def events(request: Request,
                     after: str | None = Query(None, max_length=40, description="send events after this sequence "
                                               "number (the `id:` of an event received; ASCII digits)"),
                     last_event_id: str | None = Header(None, alias="Last-Event-ID")):
        try:
            start = parse_position(after, last_event_id)
        except BadPosition as exc:
            raise ApiError(400, "BAD_EVENT_ID", str(exc)) from None
        if start is not None:
            last = await run_in_threadpool(terminal.events.last_seq)
            if start > last:
                raise ApiError(409, "EVENT_ID_AHEAD",
                               f"event {start} does not exist: this terminal's journal ends at {last} (it was reset "
                               "or replaced, e.g. by a factory reset): reconnect without Last-Event-ID, or with "
                               "?after=0 to get every event it has")
        stream = EventStream(history=terminal.events.since, last_seq=terminal.events.last_seq,
                             subscribe=terminal.events.subscribe, after=start, heartbeat_s=heartbeat_s,
                             queue_size=event_queue_size)
        return StreamingResponse(stream.stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _install_openapi(app: FastAPI) -> None:
    """The published document: bearer auth declared, FastAPI's generic 422 left out."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearerAuth": []}]
            _drop_validation_422(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way to customise the schema



def _drop_validation_422(schema: dict) -> None:
    """FastAPI documents a 422 'Validation Error' on every operation that takes input; this API
    answers validation errors with 400 instead. A 422 a route declared itself (a business
    refusal) stays."""
    for path in schema.get("paths", {}).values():
        for op in path.values():
            responses = op.get("responses", {})
            if responses.get("422", {}).get("description") == "Validation Error":
                del responses["422"]
    text = repr(schema.get("paths"))
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)


def openapi_document() -> dict:
    """The published OpenAPI document (docs/control-api.openapi.json), from the app itself."""
    # routes only: nothing is called, so no terminal is built
    app = create_app(terminal=None, checkout=None, token="-", scans_enabled=True)  # type: ignore[arg-type]
    return app.openapi()
