"""Model-based test of the journal and the transition table (hypothesis RuleBasedStateMachine).

The model is a plain dict of states and refunded amounts; the journal must agree with it after
any sequence of legal and illegal moves, refunds and reopenings.
"""
from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from terminal.journal import Journal
from terminal.records import REFUND_FAIL, REFUND_SUCCESS
from terminal.states import FINAL, TRANSITIONS, IllegalTransition, TxState

from .journal_helpers import make_refund, make_tx

S = TxState


class JournalMachine(RuleBasedStateMachine):
    txs = Bundle("txs")

    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="journal-sm-"))
        self.journal = Journal(self.dir / "journal.db")
        self.model: dict[str, dict] = {}
        self.n_events = 0
        self.last_seq = 0

    def teardown(self):
        self.journal.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize()
    def no_rows_yet(self):
        assert self.journal.pending() == []

    @rule(target=txs, amount=st.integers(min_value=1, max_value=100_000))
    def create(self, amount):
        tx = self.journal.create(make_tx(amount))
        self.model[tx.id] = {"state": S.CREATED, "amount": amount, "refunded": 0, "was_final": False}
        self.n_events += 1
        return tx.id

    def _apply(self, tx_id, *targets):
        m = self.model[tx_id]
        legal, state = True, m["state"]
        for new in targets:
            if new not in TRANSITIONS[state]:
                legal = False
                break
            state = new
        before = self.journal.get(tx_id)
        try:
            got = self.journal.transition(tx_id, *targets, expect=m["state"], result_code="X")
        except IllegalTransition:
            assert not legal, f"{m['state']} -> {targets} refused"
            assert self.journal.get(tx_id) == before, "an illegal move changed the row"
            return
        assert legal, f"{m['state']} -> {targets} accepted"
        assert got.state is state
        m["state"] = state
        m["was_final"] = m["was_final"] or state in FINAL
        self.n_events += len(targets)

    @rule(tx_id=txs, new=st.sampled_from(list(TxState)))
    def any_transition(self, tx_id, new):
        self._apply(tx_id, new)

    @rule(tx_id=txs, data=st.data())
    def legal_transition(self, tx_id, data):
        options = sorted(TRANSITIONS[self.model[tx_id]["state"]], key=lambda s: s.value)
        if options:
            self._apply(tx_id, data.draw(st.sampled_from(options)))

    @rule(tx_id=txs, path=st.lists(st.sampled_from(list(TxState)), min_size=2, max_size=4))
    def multi_step(self, tx_id, path):
        self._apply(tx_id, *path)

    @rule(tx_id=txs, data=st.data(), succeed=st.booleans())
    def refund(self, tx_id, data, succeed):
        m = self.model[tx_id]
        left = m["amount"] - m["refunded"]
        if left <= 0:
            return
        amount = data.draw(st.integers(min_value=1, max_value=left))
        tx = self.journal.get(tx_id)
        refund = self.journal.create_refund(make_refund(tx, amount))
        self.n_events += 1
        if not succeed:
            self.journal.finish_refund(refund.id, REFUND_FAIL, result_code="RISK_REJECT")
            self.n_events += 1
            return
        target = S.REFUNDED if amount == left else S.PARTIALLY_REFUNDED
        legal = target in TRANSITIONS[m["state"]]
        try:
            self.journal.finish_refund(refund.id, REFUND_SUCCESS, tx_state=target, result_code="SUCCESS")
        except IllegalTransition:
            assert not legal
            # Rolled back: the refund is still pending; settle it as failed to keep the model simple.
            assert [r.state for r in self.journal.get(tx_id).refunds if r.id == refund.id] == ["PENDING"]
            self.journal.finish_refund(refund.id, REFUND_FAIL)
            self.n_events += 1
            return
        assert legal
        m["state"], m["refunded"] = target, m["refunded"] + amount
        m["was_final"] = True
        self.n_events += 2

    @rule()
    def reopen(self):
        self.journal.close()
        self.journal = Journal(self.dir / "journal.db")

    @invariant()
    def journal_matches_model(self):
        for tx_id, m in self.model.items():
            tx = self.journal.get(tx_id)
            assert tx.state is m["state"]
            assert tx.refunded().minor == m["refunded"]
            if tx.state in FINAL:
                assert tx.final_at, "final without final_at"
            if not m["was_final"]:
                assert tx.final_at == "", "final_at set on a payment that was never final"
        assert {t.id for t in self.journal.pending()} == {i for i, m in self.model.items() if m["state"] not in FINAL}

    @invariant()
    def event_seqs_strictly_increase(self):
        events = self.journal.events_since(0, limit=100_000)
        seqs = [e["seq"] for e in events]
        assert all(a < b for a, b in itertools.pairwise(seqs))
        assert len(events) == self.n_events
        if seqs:
            assert seqs[-1] >= self.last_seq
            self.last_seq = seqs[-1]
        assert self.journal.events_since(self.last_seq) == []


JournalMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestJournalStateMachine = JournalMachine.TestCase
