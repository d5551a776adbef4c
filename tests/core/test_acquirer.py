"""Acquirer client against a local HTTP test double: only a verified, matching answer counts."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from terminal import acquirer as api
from terminal import signing
from terminal.acquirer import AcquirerClient, AcquirerResult, Credentials

CLIENT_ID = "TEST-CLIENT"
PR_ID = "PR-0001"
AMOUNT = {"currency": "USD", "value": "1250"}
PAY_BODY = {"paymentRequestId": PR_ID, "paymentAmount": AMOUNT, "productCode": "IN_STORE_PAYMENT",
            "order": {"orderDescription": "Café au lait"}}
ECHO = {"paymentRequestId": PR_ID, "paymentAmount": AMOUNT}


class Acquirer:
    """Test double: records each request and answers with whatever `answer` returns."""

    def __init__(self, acquirer_key, terminal_key):
        self.key = acquirer_key
        self.terminal_public = terminal_key.public_key()
        self.requests: list[dict] = []
        self.answer = lambda req: self.signed(self.body("S", "SUCCESS"), req["path"])
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = {"path": self.path, "headers": dict(self.headers), "body": raw,
                       "verified": signing.verify_headers(public_key=outer.terminal_public, path=self.path,
                                                          headers=self.headers, body=raw,
                                                          time_header="Request-Time",
                                                          expected_client_id=CLIENT_ID)}
                outer.requests.append(req)
                status, headers, body = outer.answer(req)
                if status == "hang":
                    outer.release.wait(30)
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @staticmethod
    def body(status, code, **extra):
        out = {"result": {"resultStatus": status, "resultCode": code, "resultMessage": code.lower()},
               "paymentRequestId": PR_ID, "paymentAmount": AMOUNT, "paymentId": "P-1"}
        out.update(extra)
        return {k: v for k, v in out.items() if v is not None}

    def signed(self, body, path, *, key=None, http_status=200, sign_path=None, tamper=None):
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        headers = signing.signed_headers(private_key=key or self.key, key_version=1, path=sign_path or path,
                                         client_id=CLIENT_ID, body=raw, time_header="Response-Time")
        headers["Content-Type"] = "application/json"
        return http_status, headers, tamper(raw) if tamper else raw

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def acquirer(acquirer_key, terminal_key):
    server = Acquirer(acquirer_key, terminal_key)
    yield server
    server.close()


def _client(terminal_key, acquirer_key, url, *, pay_read=5.0, read=5.0, key="default"):
    return AcquirerClient(
        base_url=url, credentials=Credentials(CLIENT_ID, 1, terminal_key),
        acquirer_public_key=acquirer_key.public_key() if key == "default" else key, ca_bundle=None,
        connect_timeout_s=2, pay_read_timeout_s=pay_read, read_timeout_s=read,
    )


@pytest.fixture
def client(acquirer, terminal_key, acquirer_key):
    return _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}/api/")


def _unknown(result: AcquirerResult, code: str):
    assert result.status == "U" and not result.ok and not result.failed and not result.verified
    assert result.code == code and result.transport_error == code
    return result


def test_signed_success_is_ok(client, acquirer):
    exchanges = []
    client.on_exchange = lambda path, result: exchanges.append((path, result.status))
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert result.ok and result.verified and result.status == "S" and result.code == "SUCCESS"
    assert result.body["paymentId"] == "P-1"
    assert exchanges == [(api.PAY, "S")]


def test_request_is_signed_over_the_exact_wire_path_and_bytes(client, acquirer):
    client.call(api.PAY, PAY_BODY, echo=ECHO)
    req = acquirer.requests[0]
    assert req["path"] == "/api/v1/payments/pay"
    assert req["verified"] == (True, "ok")
    assert req["headers"]["Client-Id"] == CLIENT_ID
    assert req["headers"]["Content-Type"] == "application/json; charset=UTF-8"
    assert req["headers"]["Signature"].startswith("algorithm=RSA256,keyVersion=1,signature=")
    signing.parse_timestamp(req["headers"]["Request-Time"])
    assert json.loads(req["body"].decode("utf-8")) == PAY_BODY
    # Without the base prefix, the signature does not verify: the prefix is signed.
    ok, _ = signing.verify_headers(public_key=client.credentials().private_key.public_key(),
                                   path="/v1/payments/pay", headers=req["headers"], body=req["body"],
                                   time_header="Request-Time")
    assert not ok


def test_verified_failure_is_failed(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("F", "USER_BALANCE_NOT_ENOUGH"), req["path"])
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert result.failed and not result.ok and result.code == "USER_BALANCE_NOT_ENOUGH"


def test_verified_unknown_is_neither(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("U", "PAYMENT_IN_PROCESS"), req["path"])
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert result.status == "U" and result.verified and not result.ok and not result.failed


def test_payment_amount_echo_is_optional(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS", paymentAmount=None), req["path"])
    assert client.call(api.PAY, PAY_BODY, echo=ECHO).ok


@pytest.mark.parametrize("status", ["S", "F"])
def test_unsigned_answer_is_unknown(client, acquirer, status):
    acquirer.answer = lambda req: (200, {"Content-Type": "application/json"},
                                   json.dumps(acquirer.body(status, "SUCCESS" if status == "S" else "RISK_REJECT")).encode())
    result = _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.UNVERIFIED)
    assert result.body["result"]["resultStatus"] == status  # kept for diagnosis, not trusted


@pytest.mark.parametrize("status", ["S", "F"])
def test_wrongly_signed_answer_is_unknown(client, acquirer, other_key, status):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body(status, "X"), req["path"], key=other_key)
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.UNVERIFIED)


def test_tampered_body_is_unknown(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(
        acquirer.body("F", "RISK_REJECT"), req["path"], tamper=lambda raw: raw.replace(b'"F"', b'"S"'))
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.UNVERIFIED)


def test_answer_signed_over_another_path_is_unknown(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS"), req["path"],
                                                  sign_path="/v1/payments/pay")
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.UNVERIFIED)


def test_no_acquirer_key_means_unverified(acquirer, terminal_key, acquirer_key):
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}/api", key=None)
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.UNVERIFIED)


def test_unverified_failure_is_not_failed(client, acquirer, other_key):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("F", "USER_BALANCE_NOT_ENOUGH"), req["path"],
                                                  key=other_key)
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert not result.failed and not result.ok and result.status == "U"


@pytest.mark.parametrize("raw", [b"not json", b"", b"\xff\xfe", b"<html>502</html>", b'{"result": '])
def test_non_json_is_unknown(client, acquirer, raw):
    acquirer.answer = lambda req: acquirer.signed(raw, req["path"])
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.NOT_JSON)


@pytest.mark.parametrize("status", [500, 502, 503, 404, 302, 201])
def test_non_200_is_unknown(client, acquirer, status):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS"), req["path"], http_status=status)
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.HTTP_STATUS)


@pytest.mark.parametrize("body", [
    {"paymentRequestId": PR_ID}, {"result": "S"}, {"result": {"resultCode": "SUCCESS"}},
    {"result": {"resultStatus": "OK", "resultCode": "SUCCESS"}}, [1, 2], "S", None,
])
def test_missing_or_bad_result_is_unknown(client, acquirer, body):
    acquirer.answer = lambda req: acquirer.signed(json.dumps(body).encode(), req["path"])
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.NO_RESULT)


@pytest.mark.parametrize("change", [
    {"paymentRequestId": "PR-OTHER"}, {"paymentRequestId": None},
    {"paymentAmount": {"currency": "USD", "value": "1251"}}, {"paymentAmount": {"currency": "CAD", "value": "1250"}},
    {"paymentAmount": "1250"},
])
def test_echo_mismatch_is_unknown(client, acquirer, change):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS", **change), req["path"])
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.ECHO_MISMATCH)


def test_connection_refused_is_unknown(terminal_key, acquirer_key):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{port}/api")
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.CONNECTION)


def test_pay_read_timeout_is_unknown(acquirer, terminal_key, acquirer_key):
    acquirer.answer = lambda req: ("hang", {}, b"")
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}", pay_read=0.2, read=30)
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.TIMEOUT)


def test_other_calls_use_their_own_read_timeout(acquirer, terminal_key, acquirer_key):
    acquirer.answer = lambda req: ("hang", {}, b"")
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}", pay_read=30, read=0.2)
    _unknown(client.call(api.INQUIRY, {"paymentRequestId": PR_ID}, echo={"paymentRequestId": PR_ID}), api.TIMEOUT)
    assert acquirer.requests[0]["path"] == "/v1/payments/inquiryPayment"


def test_session_ignores_environment(client):
    assert client.session.trust_env is False


def test_deeply_nested_body_is_unknown_not_a_crash(client, acquirer):
    acquirer.answer = lambda req: acquirer.signed(b"[" * 100_000, req["path"])
    _unknown(client.call(api.PAY, PAY_BODY, echo=ECHO), api.NOT_JSON)


def test_inquiry_answer_without_the_request_id_is_taken(client, acquirer):
    """Only pay, cancel and refund answers must echo their request id (spec §2); an inquiry
    answer that omits it is still a verified answer, one that names another id is not."""
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS", paymentRequestId=None,
                                                                paymentStatus="SUCCESS"), req["path"])
    result = client.call(api.INQUIRY, {"paymentRequestId": PR_ID}, echo={"paymentRequestId": PR_ID})
    assert result.ok and result.body["paymentStatus"] == "SUCCESS"
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS", paymentRequestId="PR-OTHER",
                                                                paymentStatus="SUCCESS"), req["path"])
    _unknown(client.call(api.INQUIRY, {"paymentRequestId": PR_ID}, echo={"paymentRequestId": PR_ID}),
             api.ECHO_MISMATCH)


@pytest.mark.parametrize("path", [api.CANCEL, api.REFUND])
def test_cancel_and_refund_answers_must_echo(client, acquirer, path):
    acquirer.answer = lambda req: acquirer.signed(acquirer.body("S", "SUCCESS", paymentRequestId=None), req["path"])
    key = "refundRequestId" if path == api.REFUND else "paymentRequestId"
    _unknown(client.call(path, {key: "X-1"}, echo={key: "X-1"}), api.ECHO_MISMATCH)
