"""Fault switches: misbehaviour injected between the network and the business rules.

Each fault optionally applies only to requests whose wire path ends with `path`, and only to
the next `count` such requests (None = until reset). All faults that match a request are
taken (and counted) together when the request arrives, giving that request's `FaultPlan`.

kinds:
  delay           wait `seconds` before sending the answer (state already committed)
  drop_before     close the connection before processing (nothing happens)
  drop_after      process and commit, then close the connection without an answer
  http_error      answer HTTP `status` (500, 502 or 503) with a non-JSON body, unsigned;
                  `phase` "before" (not processed, default) or "after" (processed)
  bad_signature   sign, then corrupt the signature
  malformed_json  send a truncated JSON body (validly signed over those bytes)
  clock_skew      shift the sandbox clock by `seconds` (Response-Time and Request-Time check)
  late_success    a PROCESSING payment turns SUCCESS just as a cancel arrives; the cancel
                  still wins (the payment ends CANCELLED, `lateSuccess` is recorded)
  late_delivery   the request is held on its way (a proxy or load balancer holding it): the
                  client's connection drops at once, and the acquirer receives the request
                  right after it has accepted a cancelPayment for the same paymentRequestId,
                  or after `seconds` (default 60) if none comes; see /admin/late-deliveries
  hold_answer     process and commit, then hold the answer until released (POST
                  /admin/held/release) or `seconds` (default 60) pass; see sandbox/held.py
  inquiry_fail_form  an inquiry for an id the acquirer never saw answers `result` S with
                  `paymentStatus: FAIL` and `paymentResult` ORDER_NOT_EXIST, the form some
                  acquirers use, instead of the call's own `result` ORDER_NOT_EXIST (F)
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

KINDS = {"delay", "drop_before", "drop_after", "http_error", "bad_signature", "malformed_json",
         "clock_skew", "late_success", "late_delivery", "inquiry_fail_form", "hold_answer"}
DEFAULT_LATE_DELIVERY_S = 60.0
DEFAULT_HOLD_ANSWER_S = 60.0
HTTP_STATUSES = {500, 502, 503}


@dataclass
class Fault:
    kind: str
    path: str | None = None
    count: int | None = None
    seconds: float = 0.0
    status: int = 503
    phase: str = "before"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: one of {', '.join(sorted(KINDS))}")
        if self.kind == "http_error" and self.status not in HTTP_STATUSES:
            raise ValueError("http_error status must be 500, 502 or 503")
        if self.phase not in ("before", "after"):
            raise ValueError("phase must be 'before' or 'after'")
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise ValueError("count must be a positive integer or null")
        if self.kind in ("delay", "late_delivery") and not 0 <= float(self.seconds) <= 600:
            raise ValueError(f"{self.kind} seconds must be between 0 and 600")
        self.seconds = float(self.seconds)

    @classmethod
    def from_dict(cls, data: dict | Fault) -> Fault:
        if isinstance(data, Fault):
            return data
        allowed = {"kind", "path", "count", "seconds", "status", "phase"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def matches(self, path: str) -> bool:
        return self.path is None or path.endswith(self.path)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FaultPlan:
    delay_s: float = 0.0
    drop_before: bool = False
    drop_after: bool = False
    http_status: int | None = None
    http_phase: str = "before"
    bad_signature: bool = False
    malformed_json: bool = False
    skew_s: float = 0.0
    late_success: bool = False
    late_delivery_s: float = 0.0     # > 0: hold the request (see LateDeliveries)
    inquiry_fail_form: bool = False
    hold_answer_s: float = 0.0       # > 0: hold the answer after committing (see HeldAnswers)
    taken: list[str] = field(default_factory=list)


class FaultBoard:
    """The active faults; thread-safe; not persisted (settings re-apply them at start)."""

    def __init__(self, faults: Iterable[Fault | dict] | None = None):
        self._lock = threading.Lock()
        self._faults: list[Fault] = [Fault.from_dict(f) for f in faults or []]

    def set(self, faults: Iterable[Fault | dict] | None) -> None:
        parsed = [Fault.from_dict(f) for f in faults or []]
        with self._lock:
            self._faults = parsed

    def add(self, fault: Fault | dict) -> None:
        parsed = Fault.from_dict(fault)
        with self._lock:
            self._faults.append(parsed)

    def reset(self) -> None:
        self.set([])

    def list(self) -> list[dict]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def skew_s(self, path: str) -> float:
        """Clock skew in force for `path`, without consuming anything (for admin views)."""
        with self._lock:
            return sum(f.seconds for f in self._faults if f.kind == "clock_skew" and f.matches(path))

    def take(self, path: str) -> FaultPlan:
        plan = FaultPlan()
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(path):
                    continue
                _apply(plan, fault)
                plan.taken.append(fault.kind)
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
        return plan


def _apply(plan: FaultPlan, fault: Fault) -> None:
    if fault.kind == "delay":
        plan.delay_s += fault.seconds
    elif fault.kind == "drop_before":
        plan.drop_before = True
    elif fault.kind == "drop_after":
        plan.drop_after = True
    elif fault.kind == "http_error":
        plan.http_status, plan.http_phase = fault.status, fault.phase
    elif fault.kind == "bad_signature":
        plan.bad_signature = True
    elif fault.kind == "malformed_json":
        plan.malformed_json = True
    elif fault.kind == "clock_skew":
        plan.skew_s += fault.seconds
    elif fault.kind == "late_success":
        plan.late_success = True
    elif fault.kind == "late_delivery":
        plan.late_delivery_s = fault.seconds or DEFAULT_LATE_DELIVERY_S
    elif fault.kind == "inquiry_fail_form":
        plan.inquiry_fail_form = True
    elif fault.kind == "hold_answer":
        plan.hold_answer_s = fault.seconds or DEFAULT_HOLD_ANSWER_S
