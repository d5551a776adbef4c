"""The sandbox's own signing (sandbox/signatures.py) against the published vectors, against
the terminal's implementation, and over HTTP in the forms real peers send (acquirer-api.md §2).

Two independent implementations that both verify the vectors, and each verify what the
other signs, agree on the content string byte for byte.
"""
from __future__ import annotations

import json
import socket
import ssl
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import signatures as sbx
from terminal import signing as term_signing

from .helpers import new_id

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "signing-vectors.json").read_text())
CASES = [("request", "requestTime"), ("response", "responseTime")]


def _sandbox_verifies(v, time_key, *, path=None, body=None, header=None, time=None) -> bool:
    field = sbx.read_signature_field(header or v["signatureHeader"])
    content = sbx.signed_content(path or v["path"], v["clientId"], time or v[time_key],
                                 (body if body is not None else v["body"]).encode())
    return field.algorithm == "RSA256" and sbx.rsa256_valid(sbx.read_public_pem(v["verifyWith"].encode()),
                                                             content, field.value)


@pytest.mark.parametrize("which, time_key", CASES)
def test_published_vectors_verify_in_the_sandbox(which, time_key):
    v = VECTORS[which]
    assert _sandbox_verifies(v, time_key)
    field = sbx.read_signature_field(v["signatureHeader"])
    assert field.key_version == 1 and field.header() == v["signatureHeader"]  # renders the same bytes


@pytest.mark.parametrize("which, time_key", CASES)
@pytest.mark.parametrize("change", ["path", "body", "time", "prefix dropped"])
def test_a_changed_vector_does_not_verify(which, time_key, change):
    v = VECTORS[which]
    kw = {"path": v["path"].replace("/api/", "/apj/"), "body": v["body"].replace("1250", "1251"),
          "time": v[time_key].replace(".123", ".124").replace(".456", ".457"),
          "prefix dropped": None}
    if change == "prefix dropped":
        assert not _sandbox_verifies(v, time_key, path=v["path"].removeprefix("/api"))
    else:
        assert not _sandbox_verifies(v, time_key, **{change: kw[change]})


@pytest.mark.parametrize("which, time_key", CASES)
@pytest.mark.parametrize("style", ["spaces", "reordered", "names in other case", "not percent-encoded"])
def test_vector_headers_in_peer_styles(which, time_key, style):
    v = VECTORS[which]
    fields = dict(p.split("=", 1) for p in v["signatureHeader"].split(","))
    header = {
        "spaces": ", ".join(f"{k}={fields[k]}" for k in ("algorithm", "keyVersion", "signature")),
        "reordered": ",".join(f"{k}={fields[k]}" for k in ("signature", "keyVersion", "algorithm")),
        "names in other case": f"Algorithm=rsa256,KEYVERSION=1,signature={fields['signature']}",
        "not percent-encoded": f"algorithm=RSA256,keyVersion=1,signature={unquote(fields['signature'])}",
    }[style]
    assert _sandbox_verifies(v, time_key, header=header)


@settings(max_examples=25, deadline=None)
@given(body=st.binary(max_size=200), client=st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
       path=st.from_regex(r"(/[a-z]{1,6}){1,4}", fullmatch=True))
def test_each_side_verifies_what_the_other_signs(terminal_key_pair, body, client, path):
    key = terminal_key_pair
    by_terminal = term_signing.signed_headers(private_key=key, key_version=3, path=path, client_id=client, body=body)
    field = sbx.read_signature_field(by_terminal["Signature"])
    assert sbx.rsa256_valid(key.public_key(), sbx.signed_content(path, client, by_terminal["Request-Time"], body),
                            field.value)
    by_sandbox = sbx.sign_headers(key=key, key_version=3, path=path, client_id=client, body=body,
                                  time_header="Response-Time")
    assert by_sandbox["Signature"].startswith("algorithm=RSA256,keyVersion=3,signature=")
    assert term_signing.verify_headers(public_key=key.public_key(), path=path, headers=by_sandbox,
                                       body=body) == (True, "ok")


@pytest.fixture(scope="module")
def terminal_key_pair():
    return sbx.new_rsa_key()


TIMES = {
    "2026-11-24T18:21:25.123Z": (2026, 11, 24, 18, 21, 25, 123000),
    "2026-11-24T18:21:25Z": (2026, 11, 24, 18, 21, 25, 0),
    "2026-11-24T18:21:25+00:00": (2026, 11, 24, 18, 21, 25, 0),
    "2026-11-25T02:21:25.123+08:00": (2026, 11, 24, 18, 21, 25, 123000),
    "2019-04-04T12:08:56.253+05:30": (2019, 4, 4, 6, 38, 56, 253000),
    "1795544485123": (2026, 11, 24, 18, 21, 25, 123000),
}


@pytest.mark.parametrize("text", sorted(TIMES))
def test_sandbox_reads_every_time_form(text):
    assert sbx.read_time(text) == datetime(*TIMES[text], tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "2026-11-24T18:21:25", "2026-11-24 18:21:25Z", "2026-02-30T00:00:00Z", "now"])
def test_sandbox_refuses_times_it_cannot_place(text):
    with pytest.raises(sbx.SignatureError):
        sbx.read_time(text)


# -- over HTTP: what an official SDK or a gateway sends ----------------------------------

def _doc_style_request(term, suffix: str, body: bytes, *, time_text: str, header_style=lambda h: h,
                       lower_names: bool = True) -> dict[str, str]:
    path = term.path(suffix)
    content = term_signing.content_string(path, term.client_id, time_text, body)
    sig = term_signing.SignatureHeader("RSA256", 1, term_signing.sign(term.private_key, content)).render()
    headers = {"Client-Id": term.client_id, "Request-Time": time_text, "Signature": header_style(sig),
               "Content-Type": "application/json; charset=UTF-8"}
    return {k.lower(): v for k, v in headers.items()} if lower_names else headers


def _now_forms() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "offset +08:00 with fraction": now.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="milliseconds"),
        "offset, no fraction": now.astimezone(timezone(timedelta(hours=-5))).isoformat(timespec="seconds"),
        "Z, no fraction": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "epoch milliseconds": str(int(now.timestamp() * 1000)),
    }


@pytest.mark.parametrize("form", sorted(_now_forms()))
def test_sandbox_accepts_doc_style_requests(term, form):
    import requests

    prid = new_id()
    body = json.dumps({"paymentRequestId": prid}).encode()
    headers = _doc_style_request(term, "/v1/payments/inquiryPayment", body, time_text=_now_forms()[form],
                                 header_style=lambda h: h.replace(",", ", "))
    resp = requests.post(term.sb.base_url + "/v1/payments/inquiryPayment", data=body, headers=headers,
                         verify=term.ca, timeout=10)
    assert resp.json()["result"]["resultCode"] == "ORDER_NOT_EXIST", resp.text  # authenticated, then looked up
    assert term.verify(resp, "/v1/payments/inquiryPayment") == (True, "ok")


def test_sandbox_still_refuses_a_stale_time_in_any_form(term):
    import requests

    old = str(int((datetime.now(UTC) - timedelta(minutes=10)).timestamp() * 1000))
    body = b'{"paymentRequestId":"x"}'
    headers = _doc_style_request(term, "/v1/payments/inquiryPayment", body, time_text=old)
    resp = requests.post(term.sb.base_url + "/v1/payments/inquiryPayment", data=body, headers=headers,
                         verify=term.ca, timeout=10)
    assert resp.json()["result"]["resultCode"] == "INVALID_REQUEST_TIME"


def test_sandbox_accepts_an_absolute_form_request_target(term):
    """`POST https://host:port/path HTTP/1.1`: served, verified and signed over /path."""
    suffix = "/v1/payments/inquiryPayment"
    body = json.dumps({"paymentRequestId": new_id()}).encode()
    headers = _doc_style_request(term, suffix, body, time_text=term_signing.utc_timestamp(), lower_names=False)
    host, port = "127.0.0.1", int(term.sb.base_url.rsplit(":", 1)[1].split("/")[0])
    target = f"https://{host}:{port}{term.path(suffix)}"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{head}Content-Length: {len(body)}\r\n"
               "Connection: close\r\n\r\n").encode() + body
    context = ssl.create_default_context(cafile=term.ca)
    with socket.create_connection((host, port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    assert status_line.split()[1] == "200", answer[:300]
    response_headers = dict(line.split(": ", 1) for line in header_lines)
    assert json.loads(payload)["result"]["resultCode"] == "ORDER_NOT_EXIST"
    assert term_signing.verify_headers(public_key=term.acquirer_key, path=term.path(suffix),
                                       headers=response_headers, body=payload) == (True, "ok")
