"""Fixtures shared by the test packages that talk to a sandbox acquirer over HTTPS on loopback
(e2e, control, technician). tests/sandbox has its own, with a shorter slow-response delay."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

# The suite is deterministic: Hypothesis draws the same examples on every run, so a landing never
# depends on luck (a random draw once failed CI on a real framing bug found only then). Exploring
# new inputs is bench/fuzz_inputs.py's job (it sets POS_FUZZ_EXAMPLES), or a local run's with
# POS_HYPOTHESIS_EXPLORE=1; a failure found there becomes a fixed test.
EXPLORE = bool(os.environ.get("POS_HYPOTHESIS_EXPLORE") or os.environ.get("POS_FUZZ_EXAMPLES"))
settings.register_profile("suite", derandomize=not EXPLORE, deadline=None)
settings.load_profile("suite")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """One sandbox acquirer for the session; each test registers its own terminal (client id),
    and each package's autouse fixture resets the fault switches around every test."""
    from sandbox.embedded import EmbeddedSandbox

    sb = EmbeddedSandbox(state_dir=tmp_path_factory.mktemp("sandbox"), slow_response_s=3.0)
    sb.start()
    yield sb
    sb.stop()
