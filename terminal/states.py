"""Transaction states and the one transition table every state change goes through."""
from __future__ import annotations

import enum

from .errors import FaultError


class TxState(str, enum.Enum):
    CREATED = "CREATED"            # journalled intent; the pay request may leave after this
    SENT = "SENT"
    UNKNOWN = "UNKNOWN"
    INQUIRING = "INQUIRING"
    CANCEL_PENDING = "CANCEL_PENDING"  # a cancel (unknown result, or a void) is queued
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


S = TxState
FINAL = frozenset({S.APPROVED, S.DECLINED, S.CANCELLED, S.REFUNDED, S.PARTIALLY_REFUNDED})
CAPTURED = frozenset({S.APPROVED, S.PARTIALLY_REFUNDED, S.REFUNDED})

TRANSITIONS: dict[TxState, frozenset[TxState]] = {
    S.CREATED: frozenset({S.SENT, S.CANCEL_PENDING}),
    S.SENT: frozenset({S.APPROVED, S.DECLINED, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.INQUIRING}),
    S.INQUIRING: frozenset({S.APPROVED, S.DECLINED, S.CANCEL_PENDING}),
    # A cancel can lose to an earlier capture only when the acquirer refuses it
    # (CANCEL_WINDOW_EXCEED) and an inquiry then shows the payment's real final state.
    S.CANCEL_PENDING: frozenset({S.CANCELLED, S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset({S.CANCEL_PENDING, S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}


class IllegalTransition(FaultError):
    code = "ILLEGAL_TRANSITION"


class TransitionRefused(IllegalTransition):
    """A compare-and-set transition found another state than the one its caller read: someone
    else moved the payment first. Nothing was written; the caller reports what it finds."""

    code = "TRANSITION_REFUSED"

    def __init__(self, tx_id: str, *, found: TxState, expected: frozenset[TxState], wanted: TxState | None):
        self.tx_id, self.found, self.expected, self.wanted = tx_id, found, expected, wanted
        names = "/".join(sorted(s.value for s in expected))
        super().__init__(f"transaction {tx_id} is {found.value}, not {names}: the move to "
                         f"{wanted.value if wanted else 'new fields'} was refused")


UNRESOLVED = frozenset({S.CREATED, S.SENT, S.UNKNOWN, S.INQUIRING})   # outcome not known yet


def check_transition(current: TxState, new: TxState) -> None:
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(f"illegal transaction state change {current.value} -> {new.value}")
