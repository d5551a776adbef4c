"""Every error the control API answers is `{"error": {"code", "message"}}` with a status that
says what kind of problem it is (terminal-interfaces.md §2)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    BusinessError,
    FaultError,
    InputError,
    TerminalError,
    UnknownResultError,
)
from ..logs import mask_digit_runs
from ..service import SaleInProgress

log = logging.getLogger("terminal.control")

# Business refusals that are about the transaction's state (try something else) are 409;
# declines and refusals of the request itself are 422. PIN problems are 403.
_CONFLICT_CODES = {"SALE_IN_PROGRESS", "NO_SALE_AWAITING_SCAN", "NOT_VOIDABLE", "NOT_REFUNDABLE", "REFUND_PENDING",
                   "CANCEL_WINDOW_EXCEED", "SALE_PROCESSING", "IDEMPOTENCY_KEY_REUSED", "NOT_CANCELLABLE"}
_FORBIDDEN_CODES = {"WRONG_PIN", "PIN_LOCKED", "NO_OVERRIDE"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: object) -> JSONResponse:
    """Every error answer; a payment code that found its way into a message (a path, a field)
    is masked."""
    return JSONResponse({**extra, "error": {"code": code, "message": mask_digit_runs(message)}}, status_code=status,
                        headers=headers)


def status_for(exc: TerminalError) -> int:
    if isinstance(exc, InputError):
        return 404 if exc.code == "NOT_FOUND" else 400
    if isinstance(exc, SaleInProgress) or exc.code in _CONFLICT_CODES:
        return 409
    if exc.code in _FORBIDDEN_CODES:
        return 403
    if isinstance(exc, BusinessError):
        return 422
    if isinstance(exc, UnknownResultError):
        return 202
    if isinstance(exc, FaultError):
        return 503
    return 500


_NOT_AN_OBJECT = {"model_attributes_type", "dict_type", "missing"}


def _validation_code(errors: list[dict]) -> str:
    first = errors[0] if errors else {}
    kind, loc = first.get("type", ""), [str(p) for p in first.get("loc", ())]
    if kind == "json_invalid" or (loc == ["body"] and kind in _NOT_AN_OBJECT):
        return "BAD_JSON"
    if kind == "extra_forbidden":
        return "UNKNOWN_FIELD"
    if ("amount" in loc or "tip" in loc) and loc[-1:] == ["currency"]:
        return "BAD_CURRENCY"       # not an ISO 4217 code this terminal knows (as `--currency` says)
    if "amount" in loc or "tip" in loc:
        return "BAD_AMOUNT"
    return "BAD_REQUEST"


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif err.get("type") == "json_invalid" or (where == "body" and err.get("type") in _NOT_AN_OBJECT):
            msg = "send a JSON object (Content-Type: application/json)"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts) or "invalid request"


def exception_response(exc: Exception) -> JSONResponse:
    """The answer to an exception a handler raised (the app's exception handlers, and the hot
    routes of hot_routes.py, which run the same handlers outside FastAPI)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, TerminalError):
        status = status_for(exc)
        if status == 500:
            log.error("control API request failed: %s", exc.message, extra={"code": exc.code})
        retry = getattr(exc, "retry_after_s", 0)
        return error_response(status, exc.code, exc.message, {"Retry-After": str(retry)} if retry else None)
    log.error("control API internal error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "internal error: the details are in the terminal's log")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exception_response(exc)

    @app.exception_handler(TerminalError)
    async def _terminal_error(request: Request, exc: TerminalError) -> JSONResponse:
        return exception_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return error_response(400, _validation_code(errors), _validation_message(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = getattr(exc, "code", None) or {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code,
                                                                                          "HTTP_ERROR")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return exception_response(exc)
