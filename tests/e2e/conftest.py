from __future__ import annotations

import pytest

from tests.support import write_terminal_config


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    sandbox.reset_faults()
    yield
    sandbox.reset_faults()


@pytest.fixture
def config_path(tmp_path, sandbox):
    return write_terminal_config(tmp_path, sandbox)
