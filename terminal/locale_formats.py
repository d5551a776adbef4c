"""Amounts and short date-times as Babel (CLDR) writes them, for the terminal's own locales and
currencies, without loading Babel's locale data at run time.

Why: formatting one amount through Babel loads the CLDR data of the locale and its parents
(root, en, en_US: whole dictionaries, merged copies) and Babel's global data: about 4 MB of
Python objects that stay for the life of the app, to read a dozen values. The terminal's locales
(config: en_US, en_CA, fr_CA, zh_Hans) and currencies (money.MINOR_UNITS) are a closed set, so
those values are this table. `tests/core/test_locale_formats.py` checks every locale, currency
and a spread of amounts and date-times against Babel itself, so a Babel (CLDR) update that
changes one fails there with the value to copy here. Anything outside the table goes to Babel.
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from .money import MINOR_UNITS

# Babel locale -> currency pattern pieces ('¤' = the currency symbol): positive prefix, positive
# suffix, negative prefix, negative suffix; decimal and group symbols. Grouping is by three.
NUMBERS = {
    "en_US": ("¤", "", "-¤", "", ".", ","),
    "en_CA": ("¤", "", "-¤", "", ".", ","),
    "fr_CA": ("", "\xa0¤", "-", "\xa0¤", ",", "\xa0"),
    "zh_Hans_CN": ("¤", "", "-¤", "", ".", ","),
}
SYMBOLS = {
    "en_US": {"CAD": "CA$", "CNY": "CN¥", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "¥", "KRW": "₩",
              "SGD": "SGD", "USD": "$"},
    "en_CA": {"CAD": "$", "CNY": "CN¥", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥", "KRW": "₩",
              "SGD": "SGD", "USD": "US$"},
    "fr_CA": {"CAD": "$", "CNY": "CN¥", "EUR": "€", "GBP": "£", "HKD": "$\xa0HK", "JPY": "¥", "KRW": "KRW",
              "SGD": "$\xa0SG", "USD": "$\xa0US"},
    "zh_Hans_CN": {"CAD": "CA$", "CNY": "¥", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥", "KRW": "₩",
                   "SGD": "SGD", "USD": "US$"},
}
# Babel locale -> the "short" date-time: how date {1} and time {0} join, the date and time
# patterns (CLDR fields y M d h H m a, 'quoted' literals), the AM and PM names.
DATETIMES = {
    "en_US": ("{1}, {0}", "M/d/yy", "h:mm\u202fa", "AM", "PM"),
    "en_CA": ("{1}, {0}", "y-MM-dd", "h:mm\u202fa", "a.m.", "p.m."),
    "fr_CA": ("{1} {0}", "y-MM-dd", "HH 'h' mm", "a.m.", "p.m."),
    "zh_Hans_CN": ("{1} {0}", "y/M/d", "HH:mm", "上午", "下午"),
}


def babel_locale(locale: str) -> str:
    """The Babel locale of a terminal or UI locale (zh_Hans is written as in mainland China)."""
    return "zh_Hans_CN" if locale == "zh_Hans" else locale


def format_currency(amount: Decimal, currency: str, locale: str) -> str:
    """babel.numbers.format_currency(amount, currency, locale=locale): the currency's digits,
    rounded half to even as Babel does (Money.decimal() has them already)."""
    locale = babel_locale(locale)
    if locale not in NUMBERS or currency not in SYMBOLS[locale] or currency not in MINOR_UNITS:
        from babel.numbers import format_currency as babel_format

        return babel_format(amount, currency, locale=locale)
    pos_prefix, pos_suffix, neg_prefix, neg_suffix, decimal, group = NUMBERS[locale]
    amount = amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding=ROUND_HALF_EVEN)
    negative = amount < 0
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    digits = ""
    while len(whole) > 3:
        whole, digits = whole[:-3], group + whole[-3:] + digits
    number = whole + digits + (decimal + fraction if fraction else "")
    prefix, suffix = (neg_prefix, neg_suffix) if negative else (pos_prefix, pos_suffix)
    symbol = SYMBOLS[locale][currency]
    return prefix.replace("¤", symbol) + number + suffix.replace("¤", symbol)


def format_short_datetime(when: datetime, locale: str) -> str:
    """babel.dates.format_datetime(when, "short", locale=locale): the wall time of `when` as given
    (an aware datetime is not converted; a naive one is taken as it is)."""
    locale = babel_locale(locale)
    if locale not in DATETIMES:
        from babel.dates import format_datetime

        return format_datetime(when, "short", locale=locale)
    glue, date_pattern, time_pattern, am, pm = DATETIMES[locale]
    return (glue.replace("'", "").replace("{0}", _apply(time_pattern, when, am, pm))
            .replace("{1}", _apply(date_pattern, when, am, pm)))


def format_timestamp(iso: str, locale: str) -> str:
    """A journal timestamp (ISO 8601) as a short date-time in the terminal's time zone; text
    that is not one is shown as it is (receipts and the history list)."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return format_short_datetime(when.astimezone(), locale)


def _apply(pattern: str, when: datetime, am: str, pm: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":                       # a quoted literal; '' is a quote
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1:end] or "'")
            i = end + 1
            continue
        run = 1
        while i + run < len(pattern) and pattern[i + run] == char:
            run += 1
        out.append(_field(char, run, when, am, pm) if char.isalpha() else char * run)
        i += run
    return "".join(out)


def _field(char: str, width: int, when: datetime, am: str, pm: str) -> str:
    if char == "a":
        return am if when.hour < 12 else pm
    if char == "y":
        return str(when.year % 100).zfill(2) if width == 2 else str(when.year).zfill(width)
    values = {"M": when.month, "d": when.day, "H": when.hour, "h": when.hour % 12 or 12, "m": when.minute,
              "s": when.second}
    if char not in values or width > 2:
        raise ValueError(f"date pattern field {char * width!r} is not supported here")
    return str(values[char]).zfill(width)
