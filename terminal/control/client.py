"""A small Python client of the control API, for rigs and ECR integration tests.

    t = TerminalClient("http://127.0.0.1:8765", token)
    tx = t.sale("12.50")                 # waits for a scan
    t.scan("281012345678900000")         # rig profile: the virtual scanner
    assert t.wait(tx).state == "APPROVED"

Answers are `Record`s: JSON objects with attribute access (`tx.state`, `tx.amount.value`,
`tx.id`). Waiting uses the event stream (SSE), never polling.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self, cast

import requests

from ..money import parse_amount

FINAL = frozenset({"APPROVED", "DECLINED", "CANCELLED", "REFUNDED", "PARTIALLY_REFUNDED"})


class Record:
    """A JSON object with attribute access; nested objects are Records too. `.id` is the
    transaction id of a transaction. `.to_dict()` gives the JSON back."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name == "id" and "id" not in data and "transactionId" in data:
            name = "transactionId"
        try:
            return _wrap(data[name])
        except KeyError:
            raise AttributeError(f"no field {name!r} (fields: {', '.join(data)})") from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return _wrap(self._data.get(key, default))

    def to_dict(self) -> dict:
        return self._data

    def __eq__(self, other: object) -> bool:
        return self._data == (other._data if isinstance(other, Record) else other)

    def __repr__(self) -> str:
        return f"Record({self._data!r})"


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class ControlApiError(Exception):
    """An error answer: `.status` (HTTP), `.code` and `.message` from `{"error": {...}}`."""

    def __init__(self, status: int, code: str, message: str, body: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body or {}


def _tx_id(tx: Any) -> str:
    if isinstance(tx, str):
        return tx
    if isinstance(tx, Record):
        return tx.transactionId
    if isinstance(tx, dict):
        return tx["transactionId"]
    raise TypeError("pass a transaction (as returned by sale/get) or its id")


class TerminalClient:
    def __init__(self, base_url: str, token: str, *, verify: str | bool = True, timeout: float = 90.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.verify = verify
        self._http = requests.Session()
        # Ignore REQUESTS_CA_BUNDLE & co: the verify= given here is the one that counts.
        self._http.trust_env = False
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._currency: str | None = None

    # -- plumbing ------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                timeout: float | None = None) -> tuple[int, Any]:
        """One call; returns (status, JSON). Raises ControlApiError for 4xx/5xx."""
        response = self._http.request(method, self.base_url + path, json=json_body, params=params,
                                      timeout=timeout or self.timeout, verify=self.verify)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            raise ControlApiError(response.status_code, err.get("code", "HTTP_ERROR"),
                                  err.get("message", response.text[:200]), body)
        return response.status_code, body

    def _call(self, method: str, path: str, **kw: Any) -> Record:
        return _wrap(self.request(method, path, **kw)[1])

    # -- the API -------------------------------------------------------------------------------
    def status(self) -> Record:
        return self._call("GET", "/v1/status")

    def sale(self, amount: str | int, currency: str | None = None, *, tip: str | None = None,
             reference: str = "", idempotency_key: str | None = None) -> Record:
        """Start a sale of `amount` (decimal text "12.50", or int minor units) in `currency`
        (default: the terminal's). The terminal then waits for a scan."""
        currency = currency or self.default_currency()
        body: dict[str, Any] = {"amount": self._money(amount, currency), "reference": reference,
                                "idempotencyKey": idempotency_key or f"rig-{uuid.uuid4().hex}"}
        if tip is not None:
            body["tip"] = self._money(tip, currency)
        return self._call("POST", "/v1/sales", json_body=body)

    def scan(self, code: str) -> Record:
        return self._call("POST", "/v1/scans", json_body={"code": code})

    def get(self, tx: Any) -> Record:
        return self._call("GET", f"/v1/transactions/{_tx_id(tx)}")

    def transactions(self, since: str | None = None, limit: int = 200) -> list[Record]:
        params = {"limit": limit, **({"since": since} if since else {})}
        return self._call("GET", "/v1/transactions", params=params).transactions

    def cancel(self, tx: Any) -> Record:
        """Abort a sale awaiting its scan, or void an approved payment. A 202 (void not yet
        confirmed) comes back as the transaction with an `error` field."""
        return self._call("POST", f"/v1/transactions/{_tx_id(tx)}/cancel")

    def refund(self, tx: Any, amount: str | int | None = None, *, pin: str | None = None,
               owner_pin: str | None = None, reason: str | None = None, reason_text: str | None = None) -> Record:
        """Refund (all that is left when amount is None); returns {refund, transaction}.
        `pin` is the manager PIN; `owner_pin` the owner's override instead of it; `reason` one of
        returned, damaged, overcharged, other (with `reason_text`)."""
        tx_id = _tx_id(tx)
        body: dict[str, Any] = {"ownerPin": owner_pin} if owner_pin is not None else {"managerPin": pin}
        if reason is not None:
            body["reason"] = reason
        if reason_text is not None:
            body["reasonText"] = reason_text
        if amount is not None:
            body["amount"] = self._money(amount, self.get(tx_id).amount.currency)
        return self._call("POST", f"/v1/transactions/{tx_id}/refunds", json_body=body)

    def close_batch(self) -> Record:
        return self._call("POST", "/v1/batches/close")

    def default_currency(self) -> str:
        if self._currency is None:
            self._currency = self.status().get("currency") or "USD"
        return self._currency

    @staticmethod
    def _money(amount: str | int, currency: str) -> dict:
        if isinstance(amount, int) and not isinstance(amount, bool):
            return {"currency": currency, "value": str(amount)}
        return parse_amount(str(amount), currency).to_api()

    # -- events --------------------------------------------------------------------------------
    @contextmanager
    def events(self, *, after: int | None = None, timeout: float = 60.0,
               heartbeats: bool = False) -> Iterator[Iterator[Record | None]]:
        """The event stream as an iterator of event Records (seq, txId, kind, from, to, detail).

        The context is entered once the server has subscribed this stream, so an action taken
        inside it cannot be missed. Without `after`, only events from now on. Reading raises
        TimeoutError when nothing (not even a heartbeat) arrives for `timeout` seconds. With
        heartbeats=True, each server heartbeat comes through as None (to check a deadline).
        """
        params = {"after": after} if after is not None else None
        try:
            response = self._http.get(self.base_url + "/v1/events", params=params, stream=True,
                                      timeout=(10, timeout), verify=self.verify)
        except requests.Timeout as exc:
            raise TimeoutError(f"no answer from {self.base_url}/v1/events") from exc
        try:
            if response.status_code >= 400:
                err = response.json().get("error", {})
                raise ControlApiError(response.status_code, err.get("code", "HTTP_ERROR"), err.get("message", ""))
            lines = cast(Iterator[str], response.iter_lines(decode_unicode=True))   # str: decode_unicode
            for line in lines:            # the opening comment: subscribed from here on
                if line == "":
                    break
            yield _parse_events(lines, heartbeats=heartbeats)
        except requests.exceptions.ConnectionError as exc:   # a read timeout on a stream surfaces so
            raise TimeoutError(f"no event within {timeout} s") from exc
        finally:
            response.close()

    def wait(self, tx: Any, state: str | None = None, timeout: float = 30.0) -> Record:
        """Block until the transaction reaches `state` (default: any final state, and the
        checkout has finished with it, so the next sale can start). Uses the event stream."""
        tx_id = _tx_id(tx)
        deadline = time.monotonic() + timeout
        with self.events(timeout=timeout, heartbeats=True) as stream:
            done = self._settled(tx_id, state)
            if done is not None:
                return done
            for event in stream:
                if time.monotonic() > deadline:
                    break
                if event is None or event.txId != tx_id:
                    continue
                d = event.detail
                if event.kind == "checkout" and d.get("state") == "RESULT" and not d.get("txState"):
                    raise ControlApiError(0, "SALE_FAILED", d.get("error") or "the sale failed before it was sent")
                if state is not None and event.kind == "state" and event.to == state:
                    return self.get(tx_id)    # it passed through `state` (it may have moved on since)
                if event.kind in ("state", "checkout", "refund"):
                    done = self._settled(tx_id, state)
                    if done is not None:
                        return done
        last = self.get(tx_id)
        raise TimeoutError(f"transaction {tx_id} is {last.state} after {timeout} s (waited for "
                           f"{state or 'a final state'})")

    def _settled(self, tx_id: str, state: str | None) -> Record | None:
        tx = self.get(tx_id)
        if state is not None:
            return tx if tx.state == state else None
        if tx.state not in FINAL or tx.get("awaitingScan"):
            return None
        now = self.status()
        if now.transactionId == tx_id and now.state == "PROCESSING":
            return None
        return tx

    # -- the embedded sandbox's fault switches (rig profile) -------------------------------------
    def _sandbox(self) -> Record:
        sandbox = self.status().get("sandbox")
        if sandbox is None:
            raise ControlApiError(0, "NO_SANDBOX", "this terminal does not run the embedded sandbox acquirer "
                                                   "(acquirer.base_url is not \"embedded\")")
        return sandbox

    def sandbox_admin(self, method: str, path: str, body: Any = None) -> Any:
        sandbox = self._sandbox()
        response = requests.request(method, sandbox.adminUrl + path, json=body, verify=sandbox.caBundle, timeout=10)
        response.raise_for_status()
        return response.json()

    def set_sandbox_faults(self, *faults: dict, **one: Any) -> list[dict]:
        """Replace the sandbox's fault switches: set_sandbox_faults({"kind": "http_error", ...}, ...)
        or set_sandbox_faults(kind="drop_after", path="/v1/payments/pay", count=1). No argument
        clears them. Kinds and fields: sandbox/README.md."""
        items = [dict(f) for f in faults] + ([one] if one else [])
        return self.sandbox_admin("PUT", "/faults", {"faults": items})["faults"]

    def reset_sandbox_faults(self) -> None:
        self.sandbox_admin("DELETE", "/faults")

    def sandbox_payment(self, payment_request_id: str) -> dict | None:
        """The acquirer's own record of a payment (None if it never saw it)."""
        try:
            return self.sandbox_admin("GET", f"/payments/{payment_request_id}")
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code == 404:
                return None
            raise

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_events(lines: Iterator[str], *, heartbeats: bool = False) -> Iterator[Record | None]:
    data: list[str] = []
    for line in lines:
        if line.startswith(":") and heartbeats:
            yield None
        elif line == "":
            if data:
                yield Record(json.loads("\n".join(data)))
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        # id:, retry: and comments (heartbeats) need nothing here: each event carries its seq
