"""The acquirer behind the HTTP layer: authenticate, dispatch to the business rules, answer.

`Acquirer.handle()` takes the exact request (wire path, headers, raw body) and the request's
fault plan, and returns the body to send (a dict) plus whether the slow-response setting
applies. Every refusal becomes HTTP 200 with `result` F (or U), echoing the request ids.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .auth import Client, authenticate
from .faults import FaultPlan
from .keys import SandboxKeys
from .logs import log_event
from .payments import Payments
from .protocol import Refusal, illegal, only_strings, result
from .store import Store

if TYPE_CHECKING:
    from .context import Settings

ECHO_FIELDS = ("paymentRequestId", "refundRequestId", "batchId")


@dataclass
class Answer:
    body: dict
    slow: bool = False


class Acquirer:
    def __init__(self, *, store: Store, keys: SandboxKeys, settings: Settings):
        self.store = store
        self.keys = keys
        self.settings = settings
        self.payments = Payments(store=store, keys=keys, currencies=settings.currencies)
        self._routes = {
            "pay": self._pay,
            "inquiryPayment": lambda c, d, p: Answer(self.payments.inquire(c, d, fail_form=p.inquiry_fail_form)),
            "cancelPayment": lambda c, d, p: Answer(self.payments.cancel(c, d, late_success=p.late_success)),
        }
        self._unsigned_routes: dict = {}

    def add_route(self, name: str, handler: Callable[..., Answer], *, self_signed: bool = False) -> None:
        """handler(client, data, plan) -> Answer; self_signed handlers get (path, headers, body, data, plan)."""
        (self._unsigned_routes if self_signed else self._routes)[name] = handler

    def handle(self, endpoint: str, *, path: str, headers: Mapping[str, str], body: bytes, plan: FaultPlan) -> Answer:
        data: dict = _try_parse(body)  # for the echo only, until the request is authenticated
        try:
            if endpoint in self._unsigned_routes:
                return self._unsigned_routes[endpoint](path, headers, body, _parse(body), plan)
            client = authenticate(self.store, path=path, headers=headers, body=body, skew_s=plan.skew_s)
            return self._routes[endpoint](client, _parse(body), plan)
        except Refusal as refusal:
            log_event("refused", endpoint=endpoint, code=refusal.code, reason=refusal.message,
                      clientId=headers.get("Client-Id"))
            echo = {k: data[k] for k in ECHO_FIELDS if isinstance(data.get(k), str)}
            return Answer({"result": result(refusal.code, refusal.message), **echo})

    def _pay(self, client: Client, data: dict, plan: FaultPlan) -> Answer:
        answer = self.payments.pay(client, data)
        return Answer(answer.body, slow=answer.slow)


def _try_parse(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _parse(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise illegal("body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise illegal("body must be a JSON object")
    only_strings(data)
    return data
