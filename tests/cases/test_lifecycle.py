"""The lifecycle as a table: every (from, to) pair, plus a state machine of random moves."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casedesk.cases.lifecycle import (
    CaseState,
    ReopenPolicy,
    Status,
    TransitionRefused,
    case_age,
    plan_transition,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REASONS = frozenset({"Resolved", "Duplicate", "Other"})
S = Status

# The whole default table: True where DESIGN.md allows the move.
ALLOWED = {
    (S.NEW, S.OPEN), (S.OPEN, S.IN_PROGRESS), (S.IN_PROGRESS, S.PENDING_CUSTOMER),
    (S.PENDING_CUSTOMER, S.IN_PROGRESS), (S.IN_PROGRESS, S.RESOLVED),
    (S.PENDING_CUSTOMER, S.RESOLVED), (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.OPEN),
    (S.CLOSED, S.OPEN),
}
PAIRS = [(a, b) for a in Status for b in Status]


def _plan(current: Status, to: Status, **state: object):
    return plan_transition(
        CaseState(status=current, closed_at=state.pop("closed_at", NOW), **state),  # type: ignore[arg-type]
        to, note="Done, see thread.", closed_reason="Resolved", closed_reasons=REASONS,
        now=NOW,
    )


@pytest.mark.parametrize(("current", "to"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair_follows_the_table(current: Status, to: Status) -> None:
    if (current, to) in ALLOWED:
        plan = _plan(current, to)
        assert plan.to_status == to
        assert plan.changes["status"] == to.value
    else:
        with pytest.raises(TransitionRefused) as refused:
            _plan(current, to)
        allowed_names = sorted(b.value for a, b in ALLOWED if a == current)
        for name in allowed_names:
            assert name in refused.value.detail
        assert sorted(s.value for s in refused.value.allowed) == allowed_names


@pytest.mark.parametrize("to", [S.RESOLVED, S.CLOSED])
def test_resolving_and_closing_need_a_note(to: Status) -> None:
    current = S.IN_PROGRESS if to == S.RESOLVED else S.RESOLVED
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(CaseState(status=current), to, note="  ", closed_reason="Resolved",
                        closed_reasons=REASONS, now=NOW)
    assert refused.value.field == "note"


def test_closing_needs_a_known_closed_reason() -> None:
    state = CaseState(status=S.RESOLVED)
    with pytest.raises(TransitionRefused) as missing:
        plan_transition(state, S.CLOSED, note="ok", closed_reasons=REASONS, now=NOW)
    assert missing.value.field == "closed_reason"
    with pytest.raises(TransitionRefused) as unknown:
        plan_transition(state, S.CLOSED, note="ok", closed_reason="Bored",
                        closed_reasons=REASONS, now=NOW)
    assert "Bored" in unknown.value.detail


def test_closing_sets_timestamp_reason_and_note() -> None:
    plan = plan_transition(CaseState(status=S.RESOLVED), S.CLOSED, note="Fixed in 4.2",
                           closed_reason="Resolved", closed_reasons=REASONS, now=NOW)
    assert plan.changes == {"status": "closed", "closed_at": NOW, "closed_reason": "Resolved",
                            "closure_note": "Fixed in 4.2"}


def test_resolving_sets_resolved_at() -> None:
    plan = plan_transition(CaseState(status=S.IN_PROGRESS), S.RESOLVED, note="ok", now=NOW)
    assert plan.changes["resolved_at"] == NOW


def test_open_assignments_block_closing() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(CaseState(status=S.RESOLVED, open_assignments=2), S.CLOSED, note="ok",
                        closed_reason="Resolved", closed_reasons=REASONS, now=NOW)
    assert "2 open case assignments" in refused.value.detail


def test_reopen_within_window_counts_and_clears_closure() -> None:
    plan = plan_transition(
        CaseState(status=S.CLOSED, closed_at=NOW - timedelta(hours=5, minutes=59)), S.OPEN,
        now=NOW)
    assert plan.is_reopen
    assert plan.changes["reopen_count"] == 1
    assert plan.changes["closed_at"] is None
    assert plan.changes["resolved_at"] is None


def test_reopen_after_window_is_refused_with_follow_up_advice() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(CaseState(status=S.CLOSED, closed_at=NOW - timedelta(hours=6, seconds=1)),
                        S.OPEN, now=NOW)
    assert refused.value.follow_up
    assert "follow-up" in refused.value.detail


def test_second_reopen_is_refused_by_default() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(CaseState(status=S.CLOSED, closed_at=NOW, reopen_count=1), S.OPEN,
                        now=NOW)
    assert "once" in refused.value.detail


def test_reopen_limit_and_window_are_tenant_settings() -> None:
    policy = ReopenPolicy(limit=3, window=timedelta(days=2))
    plan = plan_transition(
        CaseState(status=S.CLOSED, closed_at=NOW - timedelta(days=1), reopen_count=2), S.OPEN,
        policy=policy, now=NOW)
    assert plan.changes["reopen_count"] == 3


def test_resolved_case_reopens_without_using_the_closed_reopen_allowance() -> None:
    plan = plan_transition(CaseState(status=S.RESOLVED, reopen_count=1), S.OPEN, now=NOW)
    assert not plan.is_reopen
    assert "reopen_count" not in plan.changes


def test_unknown_target_is_refused() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(CaseState(status=S.NEW), "done", now=NOW)
    assert "open" in refused.value.detail


def test_case_age_stops_at_close() -> None:
    created = NOW - timedelta(days=3)
    assert case_age(created, closed_at=None, now=NOW) == timedelta(days=3)
    assert case_age(created, closed_at=NOW - timedelta(days=1), now=NOW) == timedelta(days=2)


class LifecycleMachine(RuleBasedStateMachine):
    """Random moves, some allowed and some not, with a moving clock: the case never reaches a
    state the table forbids, and a refusal never changes it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.state = CaseState(status=S.NEW)
        self.assignments = 0
        self.history: list[Status] = [S.NEW]

    @rule(hours=st.integers(min_value=0, max_value=10))
    def wait(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(delta=st.sampled_from([1, -1]))
    def refer(self, delta: int) -> None:
        self.assignments = max(0, self.assignments + delta)
        self.state = CaseState(status=self.state.status, closed_at=self.state.closed_at,
                               reopen_count=self.state.reopen_count,
                               open_assignments=self.assignments)

    @rule(to=st.sampled_from(list(Status)), note=st.sampled_from(["", "ok"]),
          reason=st.sampled_from(["", "Resolved", "Nope"]))
    def move(self, to: Status, note: str, reason: str) -> None:
        before = self.state
        try:
            plan = plan_transition(before, to, note=note, closed_reason=reason,
                                   closed_reasons=REASONS, now=self.now)
        except TransitionRefused:
            assert self.state == before
            return
        assert (before.status, to) in ALLOWED
        if to in (S.RESOLVED, S.CLOSED):
            assert note
        if to == S.CLOSED:
            assert reason in REASONS and before.open_assignments == 0
        if before.status == S.CLOSED:
            assert before.reopen_count < 1
            assert before.closed_at is not None
            assert self.now - before.closed_at <= timedelta(hours=6)
        changes = plan.changes
        self.state = CaseState(
            status=to,
            closed_at=changes.get("closed_at", before.closed_at),  # type: ignore[arg-type]
            reopen_count=changes.get("reopen_count", before.reopen_count),  # type: ignore[arg-type]
            open_assignments=before.open_assignments,
        )
        self.history.append(to)

    @precondition(lambda self: self.state.status == S.CLOSED)
    @invariant()
    def closed_cases_have_a_close_time(self) -> None:
        assert self.state.closed_at is not None

    @invariant()
    def every_step_was_allowed(self) -> None:
        for a, b in zip(self.history, self.history[1:], strict=False):
            assert (a, b) in ALLOWED
        assert self.state.reopen_count <= 1


TestLifecycleMachine = LifecycleMachine.TestCase
