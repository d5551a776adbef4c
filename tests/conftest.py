"""Fixtures shared by the test packages that talk to a sandbox acquirer over HTTPS on loopback
(e2e, control, technician). tests/sandbox has its own, with a shorter slow-response delay."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """One sandbox acquirer for the session; each test registers its own terminal (client id),
    and each package's autouse fixture resets the fault switches around every test."""
    from sandbox.embedded import EmbeddedSandbox

    sb = EmbeddedSandbox(state_dir=tmp_path_factory.mktemp("sandbox"), slow_response_s=3.0)
    sb.start()
    yield sb
    sb.stop()
