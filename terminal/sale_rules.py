"""What a sale may be on this terminal: the rules, written once, whichever front end asked.

Front ends only turn what they were given (typed text, keypad digits, JSON) into `Money`; the
checkout (UI, control API) and the CLI's one-shot sale both hand that to `SaleRules.request`,
which either refuses it with one of the codes below or builds the one `SaleRequest` that then
travels, unchanged, to the payment service. A refusal changes nothing: no journal row, no event.

Codes (the same on every front end; CLI exit 2, control API 400):
  BAD_AMOUNT            zero or negative amount, a tip in another currency (and, at the edges,
                        text or JSON that is not an amount)
  BAD_CURRENCY          not an ISO 4217 code this software knows (raised by the edge parsers)
  CURRENCY_NOT_ENABLED  a known currency this terminal is not configured for
  AMOUNT_TOO_LARGE      amount plus tip over terminal.max_amount
  BAD_REFERENCE         a reference that looks like a payment code (it would be journalled in clear)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .codes import check_reference
from .errors import InputError
from .money import Money, parse_amount

if TYPE_CHECKING:
    from .config import TerminalSection

REFERENCE_MAX = 64


@dataclass(frozen=True)
class SaleRequest:
    """A sale the rules accepted: the amount, the tip (None when there is none) and the
    merchant's reference and idempotency key. Built only by `SaleRules.request`."""

    amount: Money
    tip: Money | None = None
    reference: str = ""
    idempotency_key: str | None = None
    description: str = ""

    @property
    def total(self) -> Money:
        return self.amount + self.tip if self.tip else self.amount


class SaleRules:
    def __init__(self, *, currencies: Sequence[str], max_amount: str):
        self.currencies = tuple(currencies)
        self._max_amount = max_amount

    @classmethod
    def from_config(cls, section: TerminalSection) -> SaleRules:
        """From the configuration's [terminal] table (currencies, max_amount)."""
        return cls(currencies=section.currencies, max_amount=section.max_amount)

    def maximum(self, currency: str) -> Money:
        return parse_amount(self._max_amount, currency)

    def request(self, amount: Money, *, tip: Money | None = None, reference: str = "",
                idempotency_key: str | None = None, description: str = "") -> SaleRequest:
        """The sale, checked; raises InputError (see the module docstring for the codes)."""
        check_reference(reference or "")
        if amount.minor <= 0:
            raise InputError("amount must be more than zero: type an amount such as 12.50", code="BAD_AMOUNT")
        if tip is not None:
            if tip.currency != amount.currency:
                raise InputError(f"tip is in {tip.currency}, the amount in {amount.currency}: give the tip in "
                                 f"{amount.currency}", code="BAD_AMOUNT")
            if tip.minor < 0:
                raise InputError("tip must not be negative", code="BAD_AMOUNT")
            tip = tip if tip.minor else None        # a zero tip is no tip
        currency = amount.currency
        if currency not in self.currencies:
            raise InputError(f"currency {currency} is not enabled on this terminal: use "
                             f"{' or '.join(self.currencies)}", code="CURRENCY_NOT_ENABLED")
        total = amount + tip if tip else amount
        maximum = self.maximum(currency)
        if total.minor > maximum.minor:
            what = "total (amount + tip)" if tip else "amount"
            raise InputError(f"{what} {total} is over this terminal's maximum of {maximum}: split the sale or "
                             f"ask the technician about terminal.max_amount", code="AMOUNT_TOO_LARGE")
        return SaleRequest(amount=amount, tip=tip, reference=(reference or "")[:REFERENCE_MAX],
                           idempotency_key=idempotency_key or None, description=description)
