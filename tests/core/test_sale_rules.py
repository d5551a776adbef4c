"""The sale rules, once, in the core: every front end gets the same refusal for the same sale."""
from __future__ import annotations

import pytest

from terminal.config import parse_config
from terminal.errors import InputError
from terminal.money import Money
from terminal.sale_rules import SaleRules

RULES = SaleRules(currencies=["USD", "CAD"], max_amount="10000.00")


def usd(minor: int) -> Money:
    return Money("USD", minor)


def refusal(amount: Money, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        RULES.request(amount, **kw)
    assert info.value.exit_code == 2
    return info.value


def test_the_maximum_itself_is_allowed_one_cent_more_is_not():
    assert RULES.request(usd(1_000_000)).total == usd(1_000_000)
    err = refusal(usd(1_000_001))
    assert err.code == "AMOUNT_TOO_LARGE" and "maximum of 10000.00 USD" in err.message


def test_the_tip_counts_toward_the_maximum():
    err = refusal(usd(999_000), tip=usd(1_001))
    assert err.code == "AMOUNT_TOO_LARGE" and "amount + tip" in err.message


def test_a_known_currency_not_enabled_is_told_so_not_a_maximum():
    err = refusal(Money("EUR", 500))
    assert err.code == "CURRENCY_NOT_ENABLED"
    assert "EUR is not enabled" in err.message and "USD or CAD" in err.message
    assert "maximum" not in err.message


@pytest.mark.parametrize("amount", [usd(0), usd(-5)])
def test_nothing_or_less_is_not_a_sale(amount):
    assert refusal(amount).code == "BAD_AMOUNT"


def test_tip_in_another_currency_is_refused():
    err = refusal(usd(1000), tip=Money("CAD", 100))
    assert err.code == "BAD_AMOUNT" and "tip" in err.message


def test_a_zero_tip_is_no_tip_and_a_tip_adds_to_the_total():
    assert RULES.request(usd(1000), tip=usd(0)).tip is None
    request = RULES.request(usd(1000), tip=usd(150), reference="R" * 100, idempotency_key="")
    assert request.total == usd(1150) and request.tip == usd(150)
    assert request.reference == "R" * 64 and request.idempotency_key is None


def test_rules_follow_the_configuration():
    config = parse_config({"terminal": {"currencies": ["JPY"], "currency": "JPY", "max_amount": "500"}})
    rules = SaleRules.from_config(config.terminal)
    assert rules.request(Money("JPY", 500)).total == Money("JPY", 500)
    assert pytest.raises(InputError, rules.request, Money("JPY", 501)).value.code == "AMOUNT_TOO_LARGE"
    assert pytest.raises(InputError, rules.request, Money("USD", 1)).value.code == "CURRENCY_NOT_ENABLED"
