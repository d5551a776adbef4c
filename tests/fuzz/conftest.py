"""Bounded fuzzing of every input the terminal takes (issue #12): the control API
(schemathesis, stateless and stateful), configuration files, serial byte streams, acquirer
responses. CI runs these with a small budget; `bench/fuzz_inputs.py` runs the same tests with
POS_FUZZ_EXAMPLES raised and publishes the counts (POS_FUZZ_REPORT: where they are written).

Each test counts what it ran (cases, and how they ended) into one report, so the README's
numbers come from the run itself."""
from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.support import write_terminal_config

EXAMPLES = int(os.environ.get("POS_FUZZ_EXAMPLES", "6"))     # CI: 6 per API operation (x3-6 elsewhere)


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, Counter] = {}
        self._lock = threading.Lock()

    def add(self, area: str, outcome: str, n: int = 1) -> None:
        with self._lock:
            self.counts.setdefault(area, Counter())[outcome] += n


_TALLY = Tally()


@pytest.fixture(scope="session")
def tally():
    yield _TALLY
    out = os.environ.get("POS_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps({k: dict(v) for k, v in _TALLY.counts.items()}, indent=2, sort_keys=True))


@pytest.fixture(scope="module")
def fuzz_served(tmp_path_factory, sandbox):
    from tests.control.conftest import serve_terminal, stop_served

    path = write_terminal_config(tmp_path_factory.mktemp("fuzz"), sandbox, control={"enabled": True})
    served = serve_terminal(path, max_failures=10**6)
    yield served
    stop_served(served)
