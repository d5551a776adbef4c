"""Cancel/refund retry backoff: capped exponential with equal jitter, isolated in one function."""
from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.resolution import backoff_delay


class Fixed:
    """An rng whose uniform() returns the low or the high end."""

    def __init__(self, where: str):
        self.where = where

    def uniform(self, a, b):
        return a if self.where == "low" else b


def _bound(attempt, base, cap):
    return min(cap, base * 2 ** max(0, attempt - 1))


@pytest.mark.parametrize("attempt, expected", [(0, 3.0), (1, 3.0), (2, 6.0), (3, 12.0), (4, 24.0), (5, 48.0),
                                               (6, 60.0), (50, 60.0)])
def test_exponential_then_capped(attempt, expected):
    assert backoff_delay(attempt, base_s=3.0, cap_s=60.0, rng=Fixed("high")) == expected
    assert backoff_delay(attempt, base_s=3.0, cap_s=60.0, rng=Fixed("low")) == expected / 2


@given(attempt=st.integers(min_value=0, max_value=1000), base=st.floats(min_value=0.01, max_value=30),
       cap=st.floats(min_value=0.01, max_value=3600), seed=st.integers(0, 2**32))
def test_jitter_within_half_to_full_delay(attempt, base, cap, seed):
    delay = backoff_delay(attempt, base_s=base, cap_s=cap, rng=random.Random(seed))
    bound = _bound(attempt, base, cap)
    assert bound / 2 <= delay <= bound <= cap


@given(base=st.floats(min_value=0.01, max_value=30), cap=st.floats(min_value=0.01, max_value=3600))
def test_upper_bound_is_monotone_and_capped(base, cap):
    highs = [backoff_delay(a, base_s=base, cap_s=cap, rng=Fixed("high")) for a in range(1, 40)]
    assert all(a <= b for a, b in itertools.pairwise(highs))
    assert max(highs) <= cap
    assert highs[-1] == cap


def test_jitter_actually_varies():
    rng = random.Random(7)
    values = {backoff_delay(6, base_s=3.0, cap_s=60.0, rng=rng) for _ in range(20)}
    assert len(values) > 1


def test_long_outage_keeps_the_cap():
    # cancel_attempts is persisted and grows without bound during an acquirer outage
    # (about 13 h of retries at the default 3 s base / 60 s cap).
    assert backoff_delay(1025, base_s=3.0, cap_s=60.0, rng=Fixed("high")) == 60.0
