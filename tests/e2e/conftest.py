from __future__ import annotations

import pytest

from sandbox.embedded import EmbeddedSandbox
from tests.support import write_terminal_config


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    sb = EmbeddedSandbox(state_dir=tmp_path_factory.mktemp("sandbox"), slow_response_s=3.0)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    sandbox.reset_faults()
    yield
    sandbox.reset_faults()


@pytest.fixture
def config_path(tmp_path, sandbox):
    return write_terminal_config(tmp_path, sandbox)
