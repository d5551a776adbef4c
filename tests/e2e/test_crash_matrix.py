"""kill -9 at every crash point, restart, recover: the terminal's final state equals the
acquirer's for every payment (spec §6). The full matrix with every fault switch is
bench/crash_matrix.py; this is its fault-free core plus one run per fault family."""
from __future__ import annotations

import pytest

from tests.crashkit import Case, matrix, run_case

CASES = matrix(full=False) + [
    Case("sale", "after_pay_response", "0000", "http_503_after"),
    Case("sale", "after_inquiry_response", "0093", "late_success"),
    Case("refund", "after_refund_response", "0000", "drop_after"),
    Case("void", "after_cancel_response", "0000", "bad_signature"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_crash_then_recover_is_consistent(case, sandbox, tmp_path):
    outcome = run_case(case, sandbox, tmp_path)
    assert outcome.killed, f"crash point {case.point} was not reached"
    assert outcome.mismatches == []
