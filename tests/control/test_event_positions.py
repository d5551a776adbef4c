"""Odd resume positions on GET /v1/events (issue #12 item 6): each answered 400 naming the
expected form (they once gave 500s, or streams that dropped with tracebacks in the log), and
a position from a wiped journal answered at once instead of a stream that waits forever."""
from __future__ import annotations

import logging

import pytest
import requests

ODD = ["99999999999999999999", "9223372036854775808", "1.5", "0x10", "1e3", "-0", "+5", "\u00b2", "12 34"]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("where", ["header", "query"])
def test_odd_positions_are_400_naming_the_form(shared, caplog, value, where):
    served = shared
    headers = served.headers()
    params = None
    if where == "header":
        headers["Last-Event-ID"] = value.encode("latin-1")
    else:
        params = {"after": value}
    with caplog.at_level(logging.ERROR):
        r = requests.get(f"{served.url}/v1/events", headers=headers, params=params, timeout=10, stream=True)
    assert r.status_code == 400, r.status_code
    error = r.json()["error"]
    assert error["code"] == "BAD_EVENT_ID"
    assert ("Last-Event-ID" if where == "header" else "after") in error["message"]
    assert "whole number" in error["message"]
    assert not [rec for rec in caplog.records if rec.exc_info]


def test_fullwidth_digits_in_after_are_refused(shared):
    served = shared
    r = requests.get(f"{served.url}/v1/events", headers=served.headers(), params={"after": "\uff11\uff12"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_EVENT_ID"


def test_a_position_past_the_journal_says_it_was_reset(shared):
    served = shared
    last = served.terminal.events.last_seq()
    r = requests.get(f"{served.url}/v1/events", headers={**served.headers(), "Last-Event-ID": str(last + 1000)},
                     timeout=10, stream=True)
    assert r.status_code == 409 and r.json()["error"]["code"] == "EVENT_ID_AHEAD"
    assert f"ends at {last}" in r.json()["error"]["message"]


def test_a_valid_position_still_streams(shared):
    served = shared
    r = requests.get(f"{served.url}/v1/events", headers={**served.headers(), "Last-Event-ID": "0"},
                     params={"after": "x"}, timeout=10, stream=True)   # the header wins over ?after=
    assert r.status_code == 200
    first = next(r.iter_lines(decode_unicode=True))
    assert first.startswith("retry:")
    r.close()
