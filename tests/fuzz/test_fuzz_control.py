"""The control API under schemathesis: every operation with generated (valid and invalid)
requests, then stateful runs that follow the document's links (a sale, then its transaction,
cancel, refund). Checks: no 5xx, answers as documented, and a refused request (4xx) journals
nothing. The event stream gets its own generated resume positions."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "control-api.openapi.json"


def _idle(served, timeout_s: float = 30.0) -> None:
    """Bounded wait until no payment is being processed (a scan accepted earlier may still be
    writing its result), so a journal position taken now is stable."""
    deadline = time.monotonic() + timeout_s
    while served.control.checkout.state.value == "PROCESSING":
        assert time.monotonic() < deadline, "a payment stayed PROCESSING"
        time.sleep(0.02)   # polling a state flag; the bound above keeps it finite


def _document() -> dict:
    document = json.loads(DOC.read_text())
    del document["paths"]["/v1/events"]       # an endless stream: fuzzed below with its own test
    return document


@pytest.fixture(scope="module")
def api_schema(fuzz_served):
    schema = schemathesis.openapi.from_dict(_document())
    schema.config.update(base_url=fuzz_served.url, headers=fuzz_served.headers())
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def _position(served) -> tuple[int, int]:
    return served.terminal.events.last_seq(), len(served.terminal.transactions(limit=10**6))


def _refusal_journals_nothing(served, response, before: tuple[int, int], tally, area: str) -> None:
    """A refused request leaves no transaction and no event; the one exception is the
    documented `scan_rejected` notice (the reason only, never the scanned text) that tells the
    screen and the register why a scan did not start the payment."""
    tally.add(area, f"{response.status_code // 100}xx")
    if 400 <= response.status_code < 500:
        _idle(served)
        seq, transactions = before
        assert len(served.terminal.transactions(limit=10**6)) == transactions, "refused, but a transaction appeared"
        for event in served.terminal.events.since(seq, 1000):
            assert event["kind"] == "scan_rejected" and set(event["detail"]) == {"reason"}, event


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation(case, fuzz_served, tally):
    _idle(fuzz_served)
    pending = fuzz_served.control.checkout.pending
    if pending is not None and fuzz_served.control.checkout.state.value == "AWAITING_SCAN" and \
            case.operation.path == "/v1/sales":
        fuzz_served.control.checkout.cancel(pending.tx_id)     # so generated sales can start
    before = _position(fuzz_served)
    response = case.call(headers=fuzz_served.headers(), timeout=30)
    case.validate_response(response, headers=fuzz_served.headers(), excluded_checks=[positive_data_acceptance])
    _refusal_journals_nothing(fuzz_served, response, before, tally, "control API (stateless)")


def test_stateful_links(api_schema, fuzz_served, tally):
    served = fuzz_served

    class Machine(api_schema.as_state_machine()):
        def setup(self):
            """Each scenario starts at an idle terminal: a sale left waiting for its scan by an
            earlier scenario would make every new sale 409 and the links would never be followed."""
            _idle(served)
            pending = served.control.checkout.pending
            if pending is not None and served.control.checkout.state.value == "AWAITING_SCAN":
                served.control.checkout.cancel(pending.tx_id)

        def get_call_kwargs(self, case):
            return {"headers": served.headers(), "timeout": 30}

        def before_call(self, case):
            _idle(served)
            self._before = _position(served)

        def after_call(self, response, case):
            _refusal_journals_nothing(served, response, self._before, tally, "control API (stateful)")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, headers=served.headers(), excluded_checks=[positive_data_acceptance])

    Machine.run(settings=settings(max_examples=max(3, EXAMPLES // 3), stateful_step_count=6, deadline=None,
                                  suppress_health_check=list(HealthCheck)))


positions = st.one_of(st.none(), st.integers(-5, 2**70).map(str), st.text(max_size=30),
                      st.sampled_from(["", " ", "0", "00", "1e3", "0x1", "\u00b2", "\uff11", "9" * 19, "9" * 25]))


@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=list(HealthCheck))
@given(after=positions, header=positions)
def test_event_positions(fuzz_served, tally, after, header):
    headers = fuzz_served.headers()
    if header is not None:
        try:
            header.encode("latin-1")
        except UnicodeEncodeError:
            header = None
        else:
            if header.strip() != header or any(ord(c) < 32 or ord(c) == 127 for c in header):
                header = None         # not a valid HTTP header value: refused by the client library
    if header is not None:
        headers["Last-Event-ID"] = header.encode("latin-1")
    params = {"after": after} if after is not None else None
    with requests.get(f"{fuzz_served.url}/v1/events", headers=headers, params=params, stream=True, timeout=10) as r:
        tally.add("event stream positions", f"{r.status_code}")
        assert r.status_code in (200, 400, 409), r.text
        if r.status_code == 200:
            assert next(r.iter_lines(decode_unicode=True)).startswith("retry:")
        else:
            assert r.json()["error"]["code"] in ("BAD_EVENT_ID", "EVENT_ID_AHEAD", "BAD_REQUEST")
