"""The one transition table: every move not in it is refused."""
from __future__ import annotations

import itertools

import pytest

from terminal.errors import FaultError
from terminal.states import (
    CAPTURED,
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    TxState,
    check_transition,
)

S = TxState
ALL_PAIRS = list(itertools.product(TxState, TxState))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]

# The spec's state diagram (terminal-interfaces.md §1), written out independently.
SPEC_EDGES = {
    (S.CREATED, S.SENT), (S.CREATED, S.CANCEL_PENDING),
    (S.SENT, S.APPROVED), (S.SENT, S.DECLINED), (S.SENT, S.UNKNOWN),
    (S.UNKNOWN, S.INQUIRING),
    (S.INQUIRING, S.APPROVED), (S.INQUIRING, S.DECLINED), (S.INQUIRING, S.CANCEL_PENDING),
    (S.CANCEL_PENDING, S.CANCELLED), (S.CANCEL_PENDING, S.APPROVED), (S.CANCEL_PENDING, S.DECLINED),
    (S.APPROVED, S.CANCEL_PENDING), (S.APPROVED, S.PARTIALLY_REFUNDED), (S.APPROVED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED), (S.PARTIALLY_REFUNDED, S.REFUNDED),
}


def test_table_covers_every_state():
    assert set(TRANSITIONS) == set(TxState)


def test_table_is_exactly_the_documented_edges():
    assert set(ALLOWED) == SPEC_EDGES


@pytest.mark.parametrize("current, new", ALLOWED, ids=lambda s: s.value)
def test_allowed_transitions_pass(current, new):
    check_transition(current, new)


@pytest.mark.parametrize("current, new", REFUSED, ids=lambda s: s.value)
def test_every_other_transition_is_refused(current, new):
    with pytest.raises(IllegalTransition) as info:
        check_transition(current, new)
    assert isinstance(info.value, FaultError) and info.value.exit_code == 3
    assert info.value.code == "ILLEGAL_TRANSITION"
    assert f"{current.value} -> {new.value}" in info.value.message


def test_final_states():
    assert FINAL == {S.APPROVED, S.DECLINED, S.CANCELLED, S.REFUNDED, S.PARTIALLY_REFUNDED}
    assert CAPTURED == {S.APPROVED, S.PARTIALLY_REFUNDED, S.REFUNDED}
    assert TRANSITIONS[S.DECLINED] == TRANSITIONS[S.CANCELLED] == TRANSITIONS[S.REFUNDED] == frozenset()
    # The only exits from final states: void / refunds of a captured payment.
    exits = {(a, b) for a, b in ALLOWED if a in FINAL}
    assert exits == {
        (S.APPROVED, S.CANCEL_PENDING), (S.APPROVED, S.PARTIALLY_REFUNDED), (S.APPROVED, S.REFUNDED),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED), (S.PARTIALLY_REFUNDED, S.REFUNDED),
    }


def test_no_way_back_to_created_or_sent():
    for state in TxState:
        assert S.CREATED not in TRANSITIONS[state]
        assert state == S.CREATED or S.SENT not in TRANSITIONS[state]


def test_every_state_reaches_a_final_state():
    for start in TxState:
        seen, todo = set(), [start]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            todo.extend(TRANSITIONS[s])
        assert seen & FINAL, start
