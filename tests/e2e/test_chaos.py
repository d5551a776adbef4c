"""A few runs of the chaos benchmark (bench/chaos.py runs hundreds): processes mixed on one
state directory, a kill -9 and a sandbox fault, checked against the acquirer's records."""
from __future__ import annotations

import pytest

from tests.chaoskit import run_once
from tests.forkserver import ForkServer


@pytest.fixture(scope="module")
def forks():
    server = ForkServer()
    yield server
    server.close()


# Seeds picked for their mix, each with a kill -9: an owner (`control`) with a pay held and delivered
# late (18), no owner with a late delivery among CLI recover and voids (29), a late success (61).
@pytest.mark.parametrize("seed", [18, 29, 61])
def test_chaos_run_leaves_terminal_and_acquirer_agreeing(seed, sandbox, tmp_path, forks):
    # At least one payment beyond the set-up sale is checked: a slow machine whose kill -9 lands
    # before the run's first sale is journalled gets more sales (run_once's min_payments), not a
    # pass on an empty run; a terminal that never journals a sale still fails here.
    result = run_once(seed, sandbox, tmp_path / "run", allow_app=False, server=forks, min_payments=2)
    assert result.ok, (result.owner, result.fault, result.actions, result.killed, result.mismatches,
                       result.approved_unpaid, result.unknown_captures)
    assert result.payments >= 2, (result.actions, result.exits)
