"""Result codes as words a cashier can act on (acquirer-api.md §5)."""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.reasons import FAULT_CODES, UNKNOWN_CODES, reason


def test_code_sets_match_the_spec_table():
    assert FAULT_CODES == {"INVALID_SIGNATURE", "INVALID_REQUEST_TIME", "KEY_NOT_FOUND", "ACCESS_DENIED", "PARAM_ILLEGAL"}
    assert UNKNOWN_CODES == {"PAYMENT_IN_PROCESS", "USER_PAYING", "SYSTEM_ERROR", "UNKNOWN_EXCEPTION",
                             "REQUEST_TRAFFIC_EXCEED"}


@pytest.mark.parametrize("code", ["USER_BALANCE_NOT_ENOUGH", "RISK_REJECT", "USER_NOT_EXIST", "PAYMENT_CODE_EXPIRED",
                                  "INVALID_PAYMENT_CODE", "CURRENCY_NOT_SUPPORT", "ORDER_IS_CLOSED"])
def test_declines_read_as_declines(code):
    assert reason(code).startswith("Declined")


@pytest.mark.parametrize("code", sorted(FAULT_CODES))
def test_fault_codes_call_a_technician(code):
    assert "technician" in reason(code)


@pytest.mark.parametrize("code", [api.TIMEOUT, api.CONNECTION, api.HTTP_STATUS, api.NOT_JSON, api.NO_RESULT,
                                  api.UNVERIFIED, api.ECHO_MISMATCH, api.TLS])
def test_transport_trouble_is_never_a_decline(code):
    text = reason(code)
    assert "checking" in text and "Declined" not in text


def test_unknown_code_fallbacks():
    assert reason("SOMETHING_NEW") == "Declined (SOMETHING_NEW)."
    assert reason("SOMETHING_NEW", "the wallet said no") == "the wallet said no"
    assert reason("CANCEL_WINDOW_EXCEED").lower().count("refund") >= 1
