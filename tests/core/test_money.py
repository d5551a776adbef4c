"""Money: strict parsing at the edge, integer minor units, locale formatting."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.errors import InputError
from terminal.money import (
    MINOR_UNITS,
    Money,
    format_money,
    minor_units,
    money_from_api,
    parse_amount,
)


@pytest.mark.parametrize(
    "text, minor",
    [("12.50", 1250), ("12.5", 1250), ("12", 1200), ("0.01", 1), ("  7.05 ", 705), ("10000.00", 1_000_000)],
)
def test_parse_amount_accepts_plain_decimals(text, minor):
    money = parse_amount(text, "USD")
    assert money == Money("USD", minor)
    assert type(money.minor) is int


def test_parse_amount_zero_decimal_currency():
    assert parse_amount("500", "JPY") == Money("JPY", 500)
    with pytest.raises(InputError, match="more than 0 decimal places for JPY"):
        parse_amount("500.5", "JPY")


@pytest.mark.parametrize(
    "text, why",
    [
        ("12.505", "more than 2 decimal places"),
        ("-1", "has a sign"),
        ("+5", "has a sign"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("1e3", "not a plain decimal number"),
        ("12,50", "comma"),
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("1.2.3", "not a plain decimal number"),
        ("12.", "not a plain decimal number"),
        ("12 50", "not a plain decimal number"),
        ("\u0661\u0662", "not a plain decimal number"),  # Arabic-Indic "12"
        ("\uff11\uff12", "not a plain decimal number"),  # full-width "12"
        ("12.\u0665", "not a plain decimal number"),
        ("NaN", "not a plain decimal number"),
        ("Infinity", "not a plain decimal number"),
        ("0x10", "not a plain decimal number"),
        ("1_000", "not a plain decimal number"),
        ("$12", "not a plain decimal number"),
        ("1234567890123", "too large"),
    ],
)
def test_parse_amount_refuses_with_reason(text, why):
    with pytest.raises(InputError) as info:
        parse_amount(text, "USD")
    assert info.value.exit_code == 2
    assert why in info.value.message
    assert info.value.code == "BAD_AMOUNT"


def test_parse_amount_none_is_empty():
    with pytest.raises(InputError, match="empty"):
        parse_amount(None, "USD")  # type: ignore[arg-type]


def test_parse_amount_unknown_currency():
    with pytest.raises(InputError) as info:
        parse_amount("1.00", "XXX")
    assert info.value.exit_code == 2
    assert "unsupported currency 'XXX'" in info.value.message


def test_money_refuses_float_and_bool():
    with pytest.raises(TypeError):
        Money("USD", 12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("USD", True)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Money("ZZZ", 1)


def test_money_arithmetic_same_currency_only():
    assert Money("USD", 100) + Money("USD", 25) == Money("USD", 125)
    assert Money("USD", 100) - Money("USD", 25) == Money("USD", 75)
    with pytest.raises(ValueError, match="cannot mix"):
        Money("USD", 1) + Money("CAD", 1)


def test_money_api_and_plain_forms():
    m = Money("USD", 1250)
    assert m.to_api() == {"currency": "USD", "value": "1250"}
    assert m.plain() == "12.50"
    assert str(m) == "12.50 USD"
    assert m.decimal() == Decimal("12.50")
    assert Money("USD", 5).plain() == "0.05"
    assert Money("JPY", 500).plain() == "500"


@given(
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    minor=st.integers(min_value=1, max_value=10**12 - 1),  # 12 whole digits (JPY); money_from_api caps at 10**12
)
def test_plain_round_trips_through_parse(currency, minor):
    money = Money(currency, minor)
    text = money.plain()
    assert "e" not in text.lower()
    parsed = parse_amount(text, currency)
    assert parsed == money
    assert type(parsed.minor) is int
    assert money_from_api(money.to_api()) == money


@given(st.text(max_size=20))
def test_parse_amount_only_raises_input_error(text):
    try:
        money = parse_amount(text, "USD")
    except InputError as exc:
        assert exc.exit_code == 2 and exc.message
    else:
        assert money.minor > 0 and type(money.minor) is int


@pytest.mark.parametrize(
    "obj",
    [
        {"currency": "USD", "value": 1250},         # number, not string
        {"currency": "USD", "value": "12.50"},      # not minor units
        {"currency": "USD", "value": "-1"},
        {"currency": "USD", "value": "1e3"},
        {"currency": "USD", "value": " 12"},
        {"currency": "USD", "value": ""},
        {"currency": "USD", "value": "\u0661\u0662"},
        {"currency": "USD", "value": "12", "extra": "x"},
        {"currency": "USD"},
        {"value": "12"},
        {"currency": 840, "value": "12"},
        {"currency": "XXX", "value": "12"},
        {"currency": "USD", "value": "9" * 14},
        ["USD", "12"],
        "USD 12",
        None,
    ],
)
def test_money_from_api_is_strict(obj):
    with pytest.raises(ValueError):
        money_from_api(obj)


def test_money_from_api_accepts_contract_form():
    assert money_from_api({"currency": "CAD", "value": "1250"}) == Money("CAD", 1250)
    assert minor_units("CAD") == 2


@pytest.mark.parametrize(
    "locale, currency, expected",
    [
        ("en_US", "USD", "$12.50"),
        ("en_US", "CAD", "CA$12.50"),
        ("en_CA", "USD", "US$12.50"),
        ("en_CA", "CAD", "$12.50"),
        ("fr_CA", "USD", "12,50\xa0$\xa0US"),
        ("fr_CA", "CAD", "12,50\xa0$"),
        ("zh_Hans", "USD", "US$12.50"),
        ("zh_Hans", "CAD", "CA$12.50"),
    ],
)
def test_format_money_locales(locale, currency, expected):
    assert format_money(Money(currency, 1250), locale) == expected


def test_format_money_grouping_keeps_cents_exact():
    assert format_money(Money("USD", 123456789), "en_US") == "$1,234,567.89"
    assert format_money(Money("CAD", 123456789), "fr_CA") == "1\xa0234\xa0567,89\xa0$"
