"""Shared fixtures for the core unit tests: RSA keys are slow to make, so one per session."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from terminal import signing

# Modest, deterministic-enough hypothesis budget for the whole core suite (no deadline: CI
# machines vary; tests never assert on wall time).
settings.register_profile(
    "core", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("core")


@pytest.fixture(scope="session")
def terminal_key():
    return signing.generate_private_key()


@pytest.fixture(scope="session")
def acquirer_key():
    return signing.generate_private_key()


@pytest.fixture(scope="session")
def other_key():
    return signing.generate_private_key()


@pytest.fixture
def unit_journal(tmp_path):
    """A journal of its own for a unit test (tests/core/fake_acquirer.py answers for the acquirer)."""
    from terminal.journal import Journal

    journal = Journal(tmp_path / "journal.sqlite")
    yield journal
    journal.close()
