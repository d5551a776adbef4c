from __future__ import annotations

import uuid

import pytest

from sandbox.embedded import EmbeddedSandbox
from terminal.signing import generate_private_key, public_key_pem

from .helpers import Terminal


@pytest.fixture(scope="session")
def terminal_key():
    return generate_private_key()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sb = EmbeddedSandbox(state_dir=tmp_path_factory.mktemp("sandbox"), slow_response_s=0.3)
    sb.start()
    yield sb
    sb.stop()


def make_terminal(sb, key, *, client_id=None, terminal_id=None) -> Terminal:
    client_id = client_id or f"client-{uuid.uuid4().hex[:8]}"
    terminal_id = terminal_id or f"T-{uuid.uuid4().hex[:6]}"
    sb.register_client(client_id=client_id, terminal_id=terminal_id, public_key_pem=public_key_pem(key))
    return Terminal(sb, client_id=client_id, terminal_id=terminal_id, private_key=key)


@pytest.fixture
def term(sandbox, terminal_key):
    sandbox.reset_faults()
    yield make_terminal(sandbox, terminal_key)
    sandbox.reset_faults()
