"""The CLI, the control API and the checkout (what the touchscreen calls) refuse the same sale
with the same code and message, and nothing is journalled (issue #11 item 1)."""
from __future__ import annotations

import pytest
import requests

from terminal.demo_codes import code_for
from terminal.errors import InputError
from terminal.money import parse_amount
from tests.control.conftest import serve_terminal, stop_served
from tests.support import cli_json, write_terminal_config

# (typed amount, currency, minor units as the API sends them, code, words in the message)
CASES = [
    ("10000.01", "USD", "1000001", "AMOUNT_TOO_LARGE", "maximum of 10000.00 USD"),
    ("5.00", "EUR", "500", "CURRENCY_NOT_ENABLED", "EUR is not enabled"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory, sandbox):
    path = write_terminal_config(tmp_path_factory.mktemp("agree"), sandbox, control={"enabled": True})
    s = serve_terminal(path, max_failures=10**6)
    yield s
    stop_served(s)


@pytest.mark.parametrize("typed, currency, minor, code, words", CASES)
def test_every_front_end_says_the_same(served, typed, currency, minor, code, words):
    before = served.terminal.events.last_seq()
    # control API (an ECR)
    r = requests.post(served.url + "/v1/sales", headers=served.headers(), timeout=10,
                      json={"amount": {"currency": currency, "value": minor}, "reference": "", "idempotencyKey": "K"})
    assert r.status_code == 400, r.text
    api_error = r.json()["error"]
    # the checkout, as the touchscreen's sale screen calls it (keypad digits -> Money)
    with pytest.raises(InputError) as info:
        served.control.checkout.begin(parse_amount(typed, currency))
    # the CLI, on the same configuration
    rc, out = cli_json(served.config_path, "sale", "--amount", typed, "--currency", currency,
                       "--code", code_for("0000"))
    assert rc == 2
    assert api_error["code"] == info.value.code == out["error"]["code"] == code
    assert api_error["message"] == info.value.message == out["error"]["message"]
    assert words in api_error["message"]
    assert served.terminal.events.last_seq() == before     # nothing happened anywhere
    assert served.control.checkout.state.value == "IDLE"
