"""Shared fixtures for the core unit tests: RSA keys are slow to make, so one per session."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from terminal import signing

# Modest hypothesis budget (derandomized: tests/conftest.py) for the whole core suite (no deadline: CI
# machines vary; tests never assert on wall time).
settings.register_profile(
    "core", parent=settings.get_profile("suite"), max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow]
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
def journal(tmp_path):
    """A journal of its own for each test, closed after it."""
    from terminal.journal import Journal

    journal = Journal(tmp_path / "state" / "journal.sqlite")
    yield journal
    journal.close()


# The payment, resolution and refund unit tests: the logic against a fake acquirer transport
# (test_acquirer.py and test_signing_liberal.py have an `acquirer` of their own: the signing one).
@pytest.fixture
def acquirer(journal):
    """Answers from a script per endpoint; records each request with the journalled state then."""
    from tests.core.fake_acquirer import FakeAcquirer

    return FakeAcquirer(journal=journal)


@pytest.fixture
def faults() -> list[str]:
    """The protocol faults reported (on_fault), in order."""
    return []


@pytest.fixture
def resolver(journal, acquirer, faults):
    """Short inquiry and cancel timings, and no waiting between tries."""
    from terminal.resolution import Resolver

    return Resolver(journal=journal, client=acquirer, interval_s=0.01, window_s=0.05, cancel_retry_max_s=0.01,
                    wait=lambda _s: False, on_fault=faults.append)
