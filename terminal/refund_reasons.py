"""Why a customer is refunded: one set of reason codes for every front end (the touchscreen's
buttons, the control API, `pos-terminal refund --reason`). The reason is journalled with the
refund, printed on its slip in the slip's language, and sent to the acquirer as refundReason
(a retry after a restart sends the same text: it comes from the journal)."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

# code -> the refundReason sent for it (English: the acquirer's records are read by people
# at the acquirer, not by the customer). "other" sends the text the cashier typed.
PRESETS = {"returned": "Item returned", "damaged": "Damaged item", "overcharged": "Customer overcharged"}
REASON_CODES = (*PRESETS, "other")
TEXT_MAX = 100          # the acquirer's refundReason limit
NO_REASON_SENT = "customer request"     # a refund journalled without a reason (older clients)


@dataclass(frozen=True)
class RefundReason:
    code: str           # one of REASON_CODES
    text: str = ""      # "other" only: what the cashier typed (collapsed spaces, at most TEXT_MAX)

    @property
    def sent(self) -> str:
        """The acquirer's refundReason."""
        return self.text if self.code == "other" else PRESETS[self.code]


def refund_reason(code: str | None, text: str | None = None) -> RefundReason | None:
    """A reason from what a front end received; None when neither is given (a client that
    predates reasons). InputError (BAD_REASON) says what is accepted."""
    code = (code or "").strip().lower()
    text = " ".join((text or "").split())
    if not code and not text:
        return None
    if not code:
        code = "other"          # a text alone is a reason of its own
    if code not in REASON_CODES:
        raise InputError(f"unknown refund reason {code!r}: use one of {', '.join(REASON_CODES)} "
                         "(with 'other', also give the text saying why)", code="BAD_REASON")
    if code != "other":
        if text:
            raise InputError(f"a text goes with the reason 'other' only: use reason 'other' with it, or '{code}' "
                             "without a text", code="BAD_REASON")
        return RefundReason(code)
    if not text:
        raise InputError("the refund reason 'other' needs a text saying why the customer is refunded",
                         code="BAD_REASON")
    if len(text) > TEXT_MAX:
        raise InputError(f"the refund reason text is {len(text)} characters: at most {TEXT_MAX}", code="BAD_REASON")
    from .codes import looks_like_payment_code

    if looks_like_payment_code(text):   # a code typed into the wrong field never leaves in clear
        raise InputError("the refund reason looks like a payment code: type why the customer is refunded",
                         code="BAD_REASON")
    return RefundReason(code, text)
