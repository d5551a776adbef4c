"""HTTP client of the acquirer contract (acquirer-api.md §1–2) on an injected requests.Session.

Every answer becomes an `AcquirerResult`. Anything that is not a verified, well-formed,
matching HTTP 200 JSON answer is status "U" (outcome unknown), never success.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from . import signing
from .trust import system_ca_bundle

log = logging.getLogger("terminal.acquirer")

PAY = "/v1/payments/pay"
INQUIRY = "/v1/payments/inquiryPayment"
CANCEL = "/v1/payments/cancelPayment"
REFUND = "/v1/payments/refund"
INQUIRY_REFUND = "/v1/payments/inquiryRefund"
REGISTER = "/v1/terminals/register"
ROTATE_KEY = "/v1/terminals/rotateKey"
BATCH_CLOSE = "/v1/terminals/batchClose"

NOT_RECEIVED = "ORDER_NOT_EXIST"   # the acquirer never saw the pay

# Transport-level result codes the terminal makes up itself (never from the acquirer).
TIMEOUT, CONNECTION, HTTP_STATUS, NOT_JSON, NO_RESULT, UNVERIFIED, ECHO_MISMATCH, TLS = (
    "TRANSPORT_TIMEOUT", "TRANSPORT_CONNECTION", "TRANSPORT_HTTP_STATUS", "TRANSPORT_NOT_JSON",
    "TRANSPORT_NO_RESULT", "RESPONSE_UNVERIFIED", "RESPONSE_MISMATCH", "TRANSPORT_TLS",
)


@dataclass(frozen=True)
class AcquirerResult:
    status: str                      # "S" | "F" | "U"
    code: str
    message: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    verified: bool = False
    transport_error: str = ""        # set when the answer was not a verified business answer

    @property
    def ok(self) -> bool:
        return self.status == "S" and self.verified

    @property
    def failed(self) -> bool:
        """A verified, final failure (an unverified F is not trusted: spec §2)."""
        return self.status == "F" and self.verified

    @property
    def not_received(self) -> bool:
        """A verified inquiry answer saying the acquirer never saw the pay (ORDER_NOT_EXIST),
        wherever it says it: the call's own result, or paymentResult of a FAIL answer
        (acquirer-api.md §4 inquiryPayment)."""
        if not self.verified:
            return False
        if self.status == "F" and self.code == NOT_RECEIVED:
            return True
        inner = self.body.get("paymentResult")
        return (self.body.get("paymentStatus") == "FAIL" and isinstance(inner, dict)
                and inner.get("resultCode") == NOT_RECEIVED)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    key_version: int
    private_key: rsa.RSAPrivateKey


class AcquirerClient:
    def __init__(
        self, *, base_url: str, credentials: Credentials | Callable[[], Credentials],
        acquirer_public_key: rsa.RSAPublicKey | None, ca_bundle: str | None,
        connect_timeout_s: float, pay_read_timeout_s: float, read_timeout_s: float,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._prefix = urlsplit(self.base_url).path.rstrip("/")
        self._credentials = credentials
        self._acquirer_key = acquirer_public_key
        # Pass verify= on each request: REQUESTS_CA_BUNDLE would otherwise replace Session.verify.
        # Empty: the system store (terminal/trust.py), never certifi's copy in the venv.
        self._verify: str = ca_bundle or system_ca_bundle()
        self._timeouts = (connect_timeout_s, pay_read_timeout_s, read_timeout_s)
        self.session = session or requests.Session()
        self.session.trust_env = False
        self.on_exchange: Callable[[str, AcquirerResult], None] | None = None  # crash points, metrics

    def credentials(self) -> Credentials:
        creds = self._credentials
        return creds() if callable(creds) else creds

    def set_acquirer_key(self, key: rsa.RSAPublicKey) -> None:
        self._acquirer_key = key

    def call(self, path: str, body: dict[str, Any], *, echo: dict[str, Any] | None = None,
             credentials: Credentials | None = None, client_id_header: str | None = None) -> AcquirerResult:
        """POST a signed request; verify and check the answer. Never raises for transport trouble."""
        creds = credentials or self.credentials()
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        wire_path = self._prefix + path
        client_id = client_id_header or creds.client_id
        headers = signing.signed_headers(
            private_key=creds.private_key, key_version=creds.key_version, path=wire_path,
            client_id=client_id, body=raw,
        )
        headers["Content-Type"] = "application/json; charset=UTF-8"
        connect, pay_read, read = self._timeouts
        try:
            response = self.session.post(
                self.base_url + path, data=raw, headers=headers, verify=self._verify,
                timeout=(connect, pay_read if path == PAY else read), allow_redirects=False,
            )
            content = response.content
        except requests.exceptions.SSLError as exc:
            return self._done(path, AcquirerResult("U", TLS, f"TLS failure: {_short(exc)}", transport_error=TLS))
        except requests.exceptions.Timeout as exc:
            return self._done(path, AcquirerResult("U", TIMEOUT, f"no answer in time: {_short(exc)}", transport_error=TIMEOUT))
        except requests.exceptions.RequestException as exc:
            return self._done(path, AcquirerResult("U", CONNECTION, f"connection failed: {_short(exc)}", transport_error=CONNECTION))
        return self._done(path, self._interpret(wire_path, response, content, echo, client_id))

    def _interpret(self, wire_path: str, response: requests.Response, content: bytes,
                   echo: dict[str, str] | None, client_id: str) -> AcquirerResult:
        if response.status_code != 200:
            return AcquirerResult("U", HTTP_STATUS, f"HTTP {response.status_code}", transport_error=HTTP_STATUS)
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            return AcquirerResult("U", NOT_JSON, "answer is not JSON", transport_error=NOT_JSON)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or result.get("resultStatus") not in ("S", "F", "U"):
            return AcquirerResult("U", NO_RESULT, "answer has no valid result", transport_error=NO_RESULT)
        status, code = result["resultStatus"], str(result.get("resultCode", ""))
        message = str(result.get("resultMessage", ""))
        if self._acquirer_key is None:
            ok, why = False, "no acquirer signing key configured"
        else:
            ok, why = signing.verify_headers(public_key=self._acquirer_key, path=wire_path,
                                             headers=response.headers, body=content,
                                             expected_client_id=client_id)
        if not ok:
            log.warning("unverified acquirer response", extra={"path": wire_path, "reason": why, "code": code})
            return AcquirerResult("U", UNVERIFIED, f"response not verified: {why} (said {status}/{code})",
                                  body=body, transport_error=UNVERIFIED)
        # The spec makes pay, cancel and refund answers echo their request id; an inquiry answer
        # need not, but one that names another request is never taken.
        must_echo = path_needs_echo(wire_path)
        for key, expected in (echo or {}).items():
            got = body.get(key)
            if (got is not None or (must_echo and key.endswith("RequestId"))) and got != expected:
                return AcquirerResult("U", ECHO_MISMATCH, f"response {key} does not match the request",
                                      body=body, transport_error=ECHO_MISMATCH)
        return AcquirerResult(status, code, message, body=body, verified=True)

    def _done(self, path: str, result: AcquirerResult) -> AcquirerResult:
        if self.on_exchange is not None:
            self.on_exchange(path, result)
        return result


def path_needs_echo(wire_path: str) -> bool:
    return wire_path.endswith((PAY, CANCEL, REFUND))


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"
