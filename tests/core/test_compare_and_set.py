"""Transitions are compare-and-set on the state the caller read (issue #10, observed failure 1).

Two actors on one journal file (two connections, as two processes had): a sale's worker waiting
on its pay answer and a resolver that inquired meanwhile. Before, the resolver's cancel queue
moved whatever state it found (APPROVED -> CANCEL_PENDING -> CANCELLED at the acquirer: the
merchant unpaid), and the sale's worker failed with "illegal transaction state change
APPROVED -> SENT" (exit 3, "terminal fault") while the customer had been charged.
"""
from __future__ import annotations

import pytest

from terminal import acquirer as api
from terminal.config import parse_config
from terminal.journal import Journal
from terminal.payments import PaymentService
from terminal.resolution import Resolver
from terminal.states import IllegalTransition, TransitionRefused, TxState

from .journal_helpers import make_tx

S = TxState


class ScriptedClient:
    def __init__(self, script: dict[str, list[api.AcquirerResult]]):
        self.script = {path: list(answers) for path, answers in script.items()}
        self.calls: list[str] = []

    def call(self, path, body, **_kw):
        self.calls.append(path)
        answers = self.script[path]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def verified(status, code, **body):
    return api.AcquirerResult(status, code, body={"result": {"resultStatus": status, "resultCode": code}, **body},
                              verified=True)


PAID = verified("S", "SUCCESS", paymentId="P-1", paymentTime="2026-11-29T10:00:00Z",
                paymentAmount={"currency": "USD", "value": "1250"})
INQUIRY_SUCCESS = verified("S", "SUCCESS", paymentStatus="SUCCESS", paymentId="P-1",
                           paymentAmount={"currency": "USD", "value": "1250"})
PROCESSING = verified("S", "SUCCESS", paymentStatus="PROCESSING",
                      paymentResult={"resultStatus": "U", "resultCode": "PAYMENT_IN_PROCESS"})


@pytest.fixture
def two_journals(tmp_path):
    a, b = Journal(tmp_path / "journal.sqlite"), Journal(tmp_path / "journal.sqlite")
    yield a, b
    a.close()
    b.close()


def _resolver(journal, client):
    return Resolver(journal=journal, client=client, interval_s=0.0, window_s=0.0, cancel_retry_max_s=0.0,
                    wait=lambda _s: False)


def test_a_refused_transition_writes_nothing_and_is_journalled(two_journals):
    journal, _ = two_journals
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.APPROVED, expect=S.CREATED, result_code="SUCCESS")
    before = journal.get(tx.id)
    with pytest.raises(TransitionRefused) as refused:
        journal.transition(tx.id, S.APPROVED, expect=S.INQUIRING, result_code="SUCCESS", payment_id="P-other")
    assert refused.value.found is S.APPROVED and isinstance(refused.value, IllegalTransition)
    assert journal.get(tx.id) == before
    last = journal.events_since(0)[-1]
    assert last["kind"] == "transition_refused" and last["detail"]["found"] == "APPROVED"


def test_a_resolver_never_cancels_what_another_actor_saw_approved(two_journals):
    sale_side, resolver_side = two_journals
    tx = sale_side.create(make_tx())
    read_by_resolver = resolver_side.transition(tx.id, S.SENT, S.UNKNOWN, S.INQUIRING, expect=S.CREATED)
    # Meanwhile the other actor's inquiry saw SUCCESS: the payment is APPROVED, the receipt printed.
    _resolver(sale_side, ScriptedClient({api.INQUIRY: [INQUIRY_SUCCESS]}))._settle(read_by_resolver,
                                                                                  INQUIRY_SUCCESS.body)
    # The resolver's window runs out on what it read (INQUIRING): its cancel must not happen.
    client = ScriptedClient({api.INQUIRY: [PROCESSING], api.CANCEL: [verified("S", "SUCCESS")]})
    found = _resolver(resolver_side, client).inquire(read_by_resolver)
    assert found.state is S.APPROVED
    assert api.CANCEL not in client.calls
    with pytest.raises(TransitionRefused):
        _resolver(resolver_side, client).queue_cancel(tx.id, reason="unknown")
    assert resolver_side.get(tx.id).state is S.APPROVED


def test_a_void_is_its_own_operation_from_approved(two_journals):
    journal, _ = two_journals
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.APPROVED, expect=S.CREATED)
    voiding = _resolver(journal, ScriptedClient({})).queue_void(tx.id)
    assert voiding.state is S.CANCEL_PENDING and voiding.cancel_reason == "void"


def test_the_sale_worker_reports_the_final_state_it_finds(two_journals, tmp_path):
    sale_side, resolver_side = two_journals
    tx = sale_side.create(make_tx())
    # The other actor resolved the payment while the pay answer was on its way.
    resolver_side.transition(tx.id, S.SENT, S.UNKNOWN, S.INQUIRING, S.APPROVED, expect=S.CREATED,
                             result_code="SUCCESS", payment_id="P-1")
    service = PaymentService(config=parse_config({}), journal=sale_side, client=ScriptedClient({}),
                             encrypter=lambda: None, resolver=_resolver(sale_side, ScriptedClient({})),
                             hmac_key=b"k" * 32, terminal_id=lambda: "T-1", on_fault=lambda _c: None)
    reported = service.apply_pay_result(tx, PAID)
    assert reported.state is S.APPROVED and reported.payment_id == "P-1"   # the truth, not "terminal fault"
    kinds = [e["kind"] for e in sale_side.events_since(0)]
    assert kinds[-1] == "transition_refused"


def test_a_final_state_never_moves_backwards(two_journals):
    journal, _ = two_journals
    tx = journal.create(make_tx())
    journal.transition(tx.id, S.SENT, S.DECLINED, expect=S.CREATED, result_code="RISK_REJECT")
    for move in ((S.SENT,), (S.UNKNOWN,), (S.CANCEL_PENDING,)):
        with pytest.raises(IllegalTransition):
            journal.transition(tx.id, *move, expect=S.CREATED)
    assert journal.get(tx.id).state is S.DECLINED
