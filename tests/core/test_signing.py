"""Signing per acquirer-api.md §2: the spec's vectors, tamper detection, header encoding."""
from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal import signing

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "signing-vectors.json").read_text())
CASES = [("request", "requestTime", "Request-Time"), ("response", "responseTime", "Response-Time")]


def _vector(which):
    name, time_key, header = next(c for c in CASES if c[0] == which)
    v = VECTORS[name]
    headers = {"Client-Id": v["clientId"], header: v[time_key], "Signature": v["signatureHeader"]}
    return v, headers, header


def _check(v, headers, time_header, *, path=None, body=None):
    return signing.verify_headers(
        public_key=signing.load_public_key(v["verifyWith"].encode()), path=path or v["path"],
        headers=headers, body=body if body is not None else v["body"].encode(), time_header=time_header,
    )


@pytest.mark.parametrize("which", ["request", "response"])
def test_spec_vectors_verify(which):
    v, headers, time_header = _vector(which)
    assert _check(v, headers, time_header) == (True, "ok")


def _flip_one(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("1" if ch != "1" else "2") + text[index + 1:]


@pytest.mark.parametrize("which", ["request", "response"])
@pytest.mark.parametrize("field", ["body", "path", "client", "time"])
def test_one_byte_change_fails(which, field):
    v, headers, time_header = _vector(which)
    path, body = v["path"], v["body"]
    if field == "body":
        body = _flip_one(body, body.index("1250") + 1)
    elif field == "path":
        path = path.replace("/api/", "/apj/")
    elif field == "client":
        headers["Client-Id"] = _flip_one(headers["Client-Id"], 0)
    else:
        headers[time_header] = _flip_one(headers[time_header], len(headers[time_header]) - 2)
    ok, why = _check(v, headers, time_header, path=path, body=body.encode())
    assert not ok and why == "signature does not verify"


@pytest.mark.parametrize("which", ["request", "response"])
def test_vector_checked_against_wrong_time_header_fails(which):
    v, headers, time_header = _vector(which)
    other = "Response-Time" if time_header == "Request-Time" else "Request-Time"
    ok, why = _check(v, headers, other)
    assert not ok and other in why


def test_vector_path_without_base_prefix_fails():
    v, headers, time_header = _vector("request")
    ok, _ = _check(v, headers, time_header, path="/v1/payments/pay")
    assert not ok


def test_vector_fails_with_other_key(other_key):
    v, headers, time_header = _vector("request")
    ok, why = signing.verify_headers(public_key=other_key.public_key(), path=v["path"], headers=headers,
                                     body=v["body"].encode(), time_header=time_header)
    assert not ok and why == "signature does not verify"


def test_signed_headers_round_trip(terminal_key):
    body = '{"a":"é"}'.encode()
    headers = signing.signed_headers(private_key=terminal_key, key_version=3, path="/api/v1/x",
                                     client_id="C-1", body=body, timestamp="2026-01-02T03:04:05.006Z")
    assert headers["Client-Id"] == "C-1" and headers["Request-Time"] == "2026-01-02T03:04:05.006Z"
    assert headers["Signature"].startswith("algorithm=RSA256,keyVersion=3,signature=")
    assert signing.verify_headers(public_key=terminal_key.public_key(), path="/api/v1/x", headers=headers,
                                  body=body, time_header="Request-Time") == (True, "ok")
    ok, why = signing.verify_headers(public_key=terminal_key.public_key(), path="/api/v1/x", headers=headers,
                                     body=body, time_header="Request-Time", expected_client_id="C-2")
    assert not ok and "Client-Id" in why
    resp = signing.signed_headers(private_key=terminal_key, key_version=1, path="/p", client_id="C",
                                  body=b"{}", time_header="Response-Time")
    assert "Response-Time" in resp and "Request-Time" not in resp


@given(sig=st.binary(min_size=1, max_size=300), version=st.integers(min_value=0, max_value=999_999_999))
def test_header_render_parse_round_trip(sig, version):
    header = signing.SignatureHeader("RSA256", version, sig)
    text = header.render()
    b64 = base64.b64encode(sig).decode()
    assert text == f"algorithm=RSA256,keyVersion={version},signature={quote(b64, safe='')}"
    assert not re.search(r"[+/=]", text.split("signature=", 1)[1])
    assert signing.SignatureHeader.parse(text) == header


def test_header_percent_encodes_plus_slash_equals():
    sig = bytes([0xFB, 0xFF, 0xBF, 0xFE])  # base64 "+/+//g==" style characters
    b64 = base64.b64encode(sig).decode()
    assert set("+/=") <= set(b64)
    rendered = signing.SignatureHeader("RSA256", 1, sig).render()
    assert rendered.endswith("signature=" + b64.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"))
    assert signing.SignatureHeader.parse(rendered).signature == sig


@pytest.mark.parametrize(
    "header",
    [
        None, "", "garbage", "algorithm=RSA256,keyVersion=1", "algorithm=RSA256,keyVersion=x,signature=AAAA",
        "algorithm=RSA256,keyVersion=1,signature=!!!!", "algorithm=RSA256,keyVersion=1,signature=A%3D",
        "algorithm=RSA256,keyVersion=1,signature=%ZZ", "algorithm=RSA256,keyVersion=1,signature=%C3%A9%C3%A9",
        "algorithm=RSA256,keyVersion=1,signature=AAAA,extra=1", "keyVersion=1,algorithm=RSA256,signature=AAAA",
        "algorithm=RSA256,keyVersion=1,signature=AA%3D%3D",        # valid base64, 1 byte: too short for RSA
        "algorithm=RSA256,keyVersion=1,signature=" + "A" * 1400,  # far too long for RSA-2048
        "algorithm=HS256,keyVersion=1,signature=AAAA",
        "algorithm=RSA256,keyVersion=1,signature=\u00e9",
    ],
)
def test_malformed_headers_return_false_never_raise(terminal_key, header):
    headers = {"Client-Id": "C", "Response-Time": "2026-01-01T00:00:00.000Z"}
    if header is not None:
        headers["Signature"] = header
    ok, why = signing.verify_headers(public_key=terminal_key.public_key(), path="/p", headers=headers, body=b"{}")
    assert ok is False and isinstance(why, str) and why


@pytest.mark.parametrize("missing", ["Client-Id", "Response-Time"])
def test_missing_client_or_time_header(terminal_key, missing):
    headers = signing.signed_headers(private_key=terminal_key, key_version=1, path="/p", client_id="C",
                                     body=b"{}", time_header="Response-Time")
    del headers[missing]
    ok, why = signing.verify_headers(public_key=terminal_key.public_key(), path="/p", headers=headers, body=b"{}")
    assert not ok and "missing" in why


@given(st.dictionaries(st.sampled_from(["Client-Id", "Response-Time", "Signature"]), st.text(max_size=80)))
def test_verify_headers_never_raises(headers):
    key = _PUBLIC
    ok, why = signing.verify_headers(public_key=key, path="/p", headers=headers, body=b"{}")
    assert ok is False and why


_PUBLIC = signing.load_public_key(VECTORS["response"]["verifyWith"].encode())


def test_utc_timestamp_format():
    ts = signing.utc_timestamp(datetime(2026, 11, 24, 18, 21, 25, 123456, tzinfo=UTC))
    assert ts == "2026-11-24T18:21:25.123Z"
    local = datetime(2026, 11, 24, 13, 21, 25, 9000, tzinfo=timezone(timedelta(hours=-5)))
    assert signing.utc_timestamp(local) == "2026-11-24T18:21:25.009Z"
    now = signing.utc_timestamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now)
    assert signing.parse_timestamp(ts) == datetime(2026, 11, 24, 18, 21, 25, 123000, tzinfo=UTC)
    # What the terminal sends stays strict; what it accepts is in test_signing_liberal.py.
    for bad in ("", "2026-11-24 18:21:25.123Z", "2026-11-24T18:21:25.123", "yesterday", "2026-13-24T18:21:25Z"):
        with pytest.raises(ValueError):
            signing.parse_timestamp(bad)


def test_content_string_is_spec_shape():
    assert signing.content_string("/api/v1/payments/pay", "C", "T", b'{"x":1}') == \
        b'POST /api/v1/payments/pay\nC.T.{"x":1}'


def test_key_loading_rules(terminal_key):
    pem = signing.private_key_pem(terminal_key)
    assert signing.load_private_key(pem).private_numbers() == terminal_key.private_numbers()
    assert signing.load_public_key(signing.public_key_pem(terminal_key)).public_numbers() == \
        terminal_key.public_key().public_numbers()
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError):
        signing.load_private_key(signing.private_key_pem(small))
    with pytest.raises(ValueError):
        signing.load_public_key(signing.public_key_pem(small))
    from cryptography.hazmat.primitives import serialization
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError):
        signing.load_private_key(ec_pem)
