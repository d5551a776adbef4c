"""Liberal in what the terminal accepts (acquirer-api.md §2): the header and time forms that
the public Alipay+/Antom documentation and the official SDKs show.

The docs write `Signature: algorithm=RSA256, keyVersion=1, signature=...` (spaces after the
commas), lower-case header names (`signature`, `client-id`, `request-time`), times as
`2019-05-28T12:12:12+08:00`, `2019-04-04T12:08:56.253+05:30` or epoch milliseconds
`1685599933871`, and say the algorithm name is not case-sensitive. Each must verify, and a
response in that style must count as verified, or every sale goes to inquiry and cancel.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from terminal import acquirer as api
from terminal import signing

from .test_acquirer import CLIENT_ID, ECHO, PAY_BODY, Acquirer, _client

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "signing-vectors.json").read_text())


def _fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(","))


def restyle(header: str, *, order=("algorithm", "keyVersion", "signature"), sep=",", names=None) -> str:
    fields = _fields(header)
    names = names or {}
    return sep.join(f"{names.get(k, k)}={fields[k]}" for k in order)


HEADER_STYLES = {
    "spec form": lambda h: h,
    "doc: spaces after commas": lambda h: restyle(h, sep=", "),
    "signature first": lambda h: restyle(h, order=("signature", "algorithm", "keyVersion")),
    "keyVersion first, spaces": lambda h: restyle(h, order=("keyVersion", "signature", "algorithm"), sep=" , "),
    "field names in other case": lambda h: restyle(h, names={"keyVersion": "keyversion", "algorithm": "Algorithm"}),
    "algorithm lower case": lambda h: h.replace("algorithm=RSA256", "algorithm=rsa256"),
    "base64 not percent-encoded": lambda h: h.split("signature=")[0] + "signature="
    + __import__("urllib.parse").parse.unquote(h.split("signature=")[1]),
    "surrounding blanks": lambda h: "  " + restyle(h, sep=",  ") + " ",
}


@pytest.mark.parametrize("which, time_key, time_header", [
    ("request", "requestTime", "Request-Time"), ("response", "responseTime", "Response-Time")])
@pytest.mark.parametrize("style", sorted(HEADER_STYLES))
@pytest.mark.parametrize("lower_names", [False, True])
def test_vector_verifies_in_every_header_style(which, time_key, time_header, style, lower_names):
    v = VECTORS[which]
    headers = {"Client-Id": v["clientId"], time_header: v[time_key],
               "Signature": HEADER_STYLES[style](v["signatureHeader"])}
    if lower_names:
        headers = {k.lower(): value for k, value in headers.items()}
    ok = signing.verify_headers(public_key=signing.load_public_key(v["verifyWith"].encode()), path=v["path"],
                                headers=headers, body=v["body"].encode(), time_header=time_header)
    assert ok == (True, "ok")


@pytest.mark.parametrize("header", [
    "algorithm=RSA256,keyVersion=1,keyVersion=2,signature=AAAA",   # a field twice
    "algorithm=RSA256, signature=AAAA",                             # keyVersion missing
    "algorithm=RSA256,,keyVersion=1,signature=AAAA",                # an empty field
    "algorithm=RSA256,keyVersion=-1,signature=AAAA",
    "algorithm=RSA 256,keyVersion=1,signature=AAAA",
])
def test_liberal_parser_still_refuses_what_is_ambiguous(header):
    with pytest.raises(ValueError):
        signing.SignatureHeader.parse(header)


TIMES = {
    "2026-11-24T18:21:25.123Z": datetime(2026, 11, 24, 18, 21, 25, 123000, tzinfo=UTC),
    "2026-11-24T18:21:25Z": datetime(2026, 11, 24, 18, 21, 25, tzinfo=UTC),
    "2026-11-24T18:21:25+00:00": datetime(2026, 11, 24, 18, 21, 25, tzinfo=UTC),
    "2026-11-25T02:21:25.123+08:00": datetime(2026, 11, 24, 18, 21, 25, 123000, tzinfo=UTC),
    "2019-05-28T12:12:12+08:00": datetime(2019, 5, 28, 4, 12, 12, tzinfo=UTC),          # Antom docs
    "2019-04-04T12:08:56.253+05:30": datetime(2019, 4, 4, 6, 38, 56, 253000, tzinfo=UTC),  # Antom docs
    "2026-11-24T13:21:25.5-0500": datetime(2026, 11, 24, 18, 21, 25, 500000, tzinfo=UTC),
    "2026-11-24T18:21:25.123456789Z": datetime(2026, 11, 24, 18, 21, 25, 123456, tzinfo=UTC),
    "1685599933871": datetime(2023, 6, 1, 6, 12, 13, 871000, tzinfo=UTC),                 # Antom docs, epoch ms
    "1795544485123": datetime(2026, 11, 24, 18, 21, 25, 123000, tzinfo=UTC),
}


@pytest.mark.parametrize("text", sorted(TIMES))
def test_time_header_forms(text):
    assert signing.parse_timestamp(text) == TIMES[text]


def test_what_the_terminal_sends_stays_the_contracts_form(terminal_key):
    headers = signing.signed_headers(private_key=terminal_key, key_version=2, path="/v1/x", client_id="C", body=b"{}")
    assert set(headers) == {"Client-Id", "Request-Time", "Signature"}
    assert signing._ISO_TIME.fullmatch(headers["Request-Time"]) and headers["Request-Time"].endswith("Z")
    assert len(headers["Request-Time"]) == len("2026-11-24T18:21:25.123Z")
    assert headers["Signature"].startswith("algorithm=RSA256,keyVersion=2,signature=")
    assert " " not in headers["Signature"]


@pytest.fixture
def acquirer(acquirer_key, terminal_key):
    server = Acquirer(acquirer_key, terminal_key)
    yield server
    server.close()


def _doc_style_answer(acquirer, *, time_text, header_style):
    """A response written the way the Antom docs show it: lower-case names, an offset time,
    spaces in the Signature header."""
    def answer(req):
        raw = json.dumps(acquirer.body("S", "SUCCESS")).encode()
        content = signing.content_string(req["path"], CLIENT_ID, time_text, raw)
        sig = signing.SignatureHeader("RSA256", 1, signing.sign(acquirer.key, content)).render()
        return 200, {"client-id": CLIENT_ID, "response-time": time_text, "signature": header_style(sig),
                     "content-type": "application/json;charset=UTF-8"}, raw
    return answer


@pytest.mark.parametrize("time_form", ["offset", "epoch ms", "no fraction Z"])
def test_doc_style_response_is_verified(acquirer, terminal_key, acquirer_key, time_form):
    now = datetime.now(UTC)
    time_text = {
        "offset": now.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
        "epoch ms": str(int(now.timestamp() * 1000)),
        "no fraction Z": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }[time_form]
    acquirer.answer = _doc_style_answer(acquirer, time_text=time_text,
                                        header_style=HEADER_STYLES["doc: spaces after commas"])
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}/api/")
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert result.ok and result.verified and result.code == "SUCCESS", result


def test_doc_style_response_signed_by_someone_else_is_still_refused(acquirer, terminal_key, acquirer_key, other_key):
    acquirer.key = other_key
    acquirer.answer = _doc_style_answer(acquirer, time_text="2019-05-28T12:12:14+08:00",
                                        header_style=HEADER_STYLES["doc: spaces after commas"])
    client = _client(terminal_key, acquirer_key, f"http://127.0.0.1:{acquirer.port}/api/")
    result = client.call(api.PAY, PAY_BODY, echo=ECHO)
    assert result.status == "U" and result.code == api.UNVERIFIED and not result.verified
