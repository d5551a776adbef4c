"""Amounts and dates on the till and receipts read exactly as Babel (CLDR) writes them, for every
locale and currency the terminal can be configured with, without Babel's locale data in the app
(terminal/locale_formats.py). A Babel update that changes a value fails here with both values."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_datetime
from babel.numbers import format_currency

from terminal import locale_formats
from terminal.money import MINOR_UNITS, Money, format_money

LOCALES = ("en_US", "en_CA", "fr_CA", "zh_Hans")        # config.terminal.locale; UI: en, fr_CA, zh_Hans
MINORS = (0, 1, 5, 99, 100, 1250, 99999, 100000, 123456789, 10**12 - 1, -1, -1250, -123456789)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", sorted(MINOR_UNITS))
def test_amounts_read_as_babel_writes_them(locale, currency):
    for minor in MINORS:
        money = Money(currency, minor)
        babel_locale = "zh_Hans_CN" if locale == "zh_Hans" else locale
        assert format_money(money, locale) == format_currency(money.decimal(), currency, locale=babel_locale), \
            (locale, currency, minor)


def test_amounts_with_more_digits_round_half_even_as_babel():
    for text in ("0.125", "0.135", "2.5", "-7.005"):
        for currency in ("USD", "JPY"):
            assert (locale_formats.format_currency(Decimal(text), currency, "en_US")
                    == format_currency(Decimal(text), currency, locale="en_US"))


@pytest.mark.parametrize("locale", ("en_US", "en_CA", "fr_CA", "zh_Hans_CN"))
def test_short_datetimes_read_as_babel_writes_them(locale):
    start = datetime(1999, 12, 31, 0, 0)
    zones = (None, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=8)))
    for step in range(0, 24 * 60 * 400, 397):           # every hour (AM/PM, 0 and 12), years, months
        when = start + timedelta(minutes=step)
        for tz in zones:
            value = when.replace(tzinfo=tz)
            assert locale_formats.format_short_datetime(value, locale) == format_datetime(value, "short",
                                                                                          locale=locale), value


def test_a_locale_outside_the_table_still_formats_through_babel():
    assert locale_formats.format_currency(Decimal("1234.50"), "EUR", "de_DE") == "1.234,50\xa0€"
    assert locale_formats.format_short_datetime(datetime(2026, 3, 1, 9, 5), "de_DE") == "01.03.26, 09:05"


def test_formatting_loads_no_babel():
    """Babel's locale data is ~4 MB of objects for the life of the app (README Performance)."""
    code = ("import sys; from datetime import datetime; from terminal.money import Money, format_money;"
            "from terminal.locale_formats import format_short_datetime;"
            "[format_money(Money('USD', 1250), l) for l in ('en_US', 'en_CA', 'fr_CA', 'zh_Hans')];"
            "[format_short_datetime(datetime.now(), l) for l in ('en_US', 'fr_CA', 'zh_Hans')];"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'babel'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
