"""Policy what-if: what a proposed SLA policy or routing rule set would have done to the
tenant's recent cases. Plain functions over facts read elsewhere (`assist.whatif_reads`);
nothing here touches the database or saves anything.

SLA: the proposed policy takes its place among the tenant's enabled policies (replacing the
policy it edits); each case is matched again with routing's condition language. A case is
*touched* when the proposal applies to it or when it used to have the edited policy; a
touched case's targets are counted again from its creation with `sla.clock.due` (business
hours, holidays, and the case's recorded pauses: waiting on the customer when the tenant
pauses, resolved and closed always). Untouched cases keep what was recorded.

Routing: each case meets the proposed rules as a new case would (`first_match`, then the
fallback map), compared with where routing actually sent it first. The owner is replayed only
where it can be honestly: a rule's direct owner, or the case's first owner when it stays in
the queue it went to. A case moved to a queue whose strategy picks the agent is counted under
"picked by the queue's strategy": that pick depended on the agents' load at the time, which
history does not keep; a manual queue leaves it unassigned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from casedesk.routing.models import Strategy
from casedesk.routing.rules import CaseFacts, CompiledRule, RuleSpec, first_match
from casedesk.routing.services import fallback_names
from casedesk.sla.clock import Calendar, due, normalise_pauses
from casedesk.sla.policies import Targets

# How many case numbers each list of a report names (the counts are always complete).
LISTED = 50
NEW_POLICY_ID = 0

Pause = tuple[datetime, datetime | None]


# --- SLA --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyChoice:
    """An SLA policy as the replay matches it: `id` 0 is a proposed new policy."""

    id: int
    name: str
    rule: CompiledRule
    targets: Targets


@dataclass(frozen=True)
class SlaCase:
    """What the SLA replay needs of one past case."""

    number: str
    created_at: datetime
    priority: int
    facts: CaseFacts
    first_response_at: datetime | None
    pauses: tuple[Pause, ...]
    policy_id: int | None
    # As recorded: breached (by the sweep or when the clock stopped late), or overdue now.
    first_response_breached: bool
    resolution_breached: bool


def recorded_breach(
    *, breached_at: datetime | None, due_at: datetime | None, running: bool, now: datetime
) -> bool:
    """Whether a target counts as breached in the record: marked, or still running past its
    due time (the sweep has not come by yet), so that the record and the replay agree on
    cases still open."""
    return breached_at is not None or (running and due_at is not None and due_at < now)


@dataclass(frozen=True)
class SlaOutcome:
    first_response: bool
    resolution: bool


def _late(
    calendar: Calendar,
    target: timedelta,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
) -> bool:
    # Business time never exceeds the wall time less the pauses, so a clock that could not
    # have run `target` by `end` is met without the calendar's arithmetic (most are).
    paused = sum(
        (min(b, end) - max(a, start) for a, b in pauses if a < end and b > start), timedelta()
    )
    if end - start - paused <= target:
        return False
    at = due(calendar, start, target, pauses)
    return at is not None and at < end


def sla_outcome(targets: Targets | None, case: SlaCase, now: datetime) -> SlaOutcome:
    """Whether each target would have been breached under `targets` (None: no policy, no
    breach). The first-response clock stops at the first response, the resolution clock
    runs until now less its pauses (a resolved or closed case is paused, so re-opening is
    counted as the clocks count it); breached means the due time fell before the clock
    stopped."""
    if targets is None:
        return SlaOutcome(False, False)
    pauses = normalise_pauses(case.pauses, now)
    first_end = case.first_response_at or now
    first = _late(
        targets.first_response_calendar,
        targets.first_response,
        case.created_at,
        first_end,
        [p for p in pauses if p[0] < first_end],
    )
    resolution = _late(
        targets.resolution_calendar, targets.resolution, case.created_at, now, pauses
    )
    return SlaOutcome(first, resolution)


def policy_set(
    current: Sequence[PolicyChoice], proposed: PolicyChoice, *, enabled: bool, position: int | None
) -> tuple[PolicyChoice, ...]:
    """The enabled policies in order with the proposal in place: instead of the policy it
    edits (at its place unless `position` moves it), else at `position` (0 first), else
    last; a disabled proposal is left out, so its cases fall to the next match."""
    others = [p for p in current if p.id != proposed.id or proposed.id == NEW_POLICY_ID]
    if not enabled:
        return tuple(others)
    if position is None:
        place = next(
            (
                i
                for i, p in enumerate(current)
                if p.id == proposed.id and proposed.id != NEW_POLICY_ID
            ),
            len(others),
        )
    else:
        place = max(0, min(position, len(others)))
    return (*others[:place], proposed, *others[place:])


@dataclass
class TargetTally:
    """One target over the touched cases: breaches as recorded and as replayed, and the
    cases that flip each way (the first `LISTED` numbers)."""

    actual: int = 0
    proposed: int = 0
    became_breached: int = 0
    became_met: int = 0
    became_breached_cases: list[str] = field(default_factory=list)
    became_met_cases: list[str] = field(default_factory=list)

    def add(self, number: str, actual: bool, proposed: bool) -> None:
        self.actual += actual
        self.proposed += proposed
        if proposed and not actual:
            self.became_breached += 1
            if len(self.became_breached_cases) < LISTED:
                self.became_breached_cases.append(number)
        elif actual and not proposed:
            self.became_met += 1
            if len(self.became_met_cases) < LISTED:
                self.became_met_cases.append(number)


@dataclass
class PriorityTally:
    cases: int = 0
    first_response_actual: int = 0
    first_response_proposed: int = 0
    resolution_actual: int = 0
    resolution_proposed: int = 0


@dataclass
class SlaReport:
    """What the proposed policy would have changed, over the cases of the window."""

    cases: int = 0
    matched: int = 0  # cases the proposed policy applies to
    touched: int = 0  # matched, or had the edited policy
    first_response: TargetTally = field(default_factory=TargetTally)
    resolution: TargetTally = field(default_factory=TargetTally)
    by_priority: dict[int, PriorityTally] = field(default_factory=dict)


def sla_replay(
    cases: Iterable[SlaCase], policies: Sequence[PolicyChoice], proposed_id: int, now: datetime
) -> SlaReport:
    """Replays the touched cases under `policies` (the set with the proposal in place, from
    `policy_set`) and sums up; `proposed_id` is the proposal's id (0 when new)."""
    rules = tuple(p.rule for p in policies)
    by_id = {p.id: p for p in policies}
    report = SlaReport()
    for case in cases:
        report.cases += 1
        spec = first_match(rules, case.facts)
        chosen = by_id.get(spec.id) if spec is not None and spec.id is not None else None
        matched = chosen is not None and chosen.id == proposed_id
        edited = proposed_id != NEW_POLICY_ID and case.policy_id == proposed_id
        if not (matched or edited):
            continue
        report.matched += matched
        report.touched += 1
        outcome = sla_outcome(chosen.targets if chosen is not None else None, case, now)
        report.first_response.add(case.number, case.first_response_breached, outcome.first_response)
        report.resolution.add(case.number, case.resolution_breached, outcome.resolution)
        row = report.by_priority.setdefault(case.priority, PriorityTally())
        row.cases += 1
        row.first_response_actual += case.first_response_breached
        row.first_response_proposed += outcome.first_response
        row.resolution_actual += case.resolution_breached
        row.resolution_proposed += outcome.resolution
    return report


# --- routing ----------------------------------------------------------------------------------

UNASSIGNED = "unassigned"
BY_STRATEGY = "strategy"  # an owner the queue's strategy would pick: not replayed
NO_QUEUE = 0

OwnerKey = int | str  # a user id, UNASSIGNED or BY_STRATEGY


@dataclass(frozen=True)
class RoutingCase:
    """What the routing replay needs of one past case: its facts and where it went first."""

    number: str
    facts: CaseFacts
    queue_id: int | None
    owner_id: int | None
    via: str  # the first routing's "rule", "fallback", "given" or "none"


@dataclass(frozen=True)
class QueueBook:
    """The tenant's queues and members as routing sees them now."""

    active: Mapping[int, str]  # active queue id -> name
    strategies: Mapping[int, str]  # queue id -> strategy
    owners: frozenset[int]  # user ids of active members

    def by_name(self, name: str) -> int | None:
        folded = name.casefold()
        return next((pk for pk, n in self.active.items() if n.casefold() == folded), None)


@dataclass(frozen=True)
class Destination:
    queue_id: int | None
    owner: OwnerKey
    rule: RuleSpec | None  # the rule that routed it (None: the fallback map, or given)
    via: str


def route_case(rules: Sequence[CompiledRule], case: RoutingCase, book: QueueBook) -> Destination:
    """Where the case would go with `rules`, as `routing.services.decide` decides it: a
    queue given on creation stays; else the first matching rule's active queue and active
    owner; else (no match, or the rule sends it nowhere) the fallback map."""
    if case.via == "given":
        return Destination(case.queue_id, case.owner_id or UNASSIGNED, None, "given")
    rule = first_match(rules, case.facts)
    queue_id: int | None = None
    owner: OwnerKey | None = None
    if rule is not None:
        if rule.actions.owner_id is not None and rule.actions.owner_id in book.owners:
            owner = rule.actions.owner_id
        if rule.actions.queue_id is not None and rule.actions.queue_id in book.active:
            queue_id = rule.actions.queue_id
    via = "rule" if owner is not None or queue_id is not None else "fallback"
    if via == "fallback":
        queue_id = next(
            (
                pk
                for name in fallback_names(case.facts.category)
                if (pk := book.by_name(name)) is not None
            ),
            None,
        )
        if queue_id is None:
            via = "none"
    if owner is None:
        owner = _queue_owner(case, queue_id, book)
    return Destination(queue_id, owner, rule if via == "rule" else None, via)


def _queue_owner(case: RoutingCase, queue_id: int | None, book: QueueBook) -> OwnerKey:
    if queue_id is not None and queue_id == case.queue_id:
        return case.owner_id or UNASSIGNED  # the same queue: as it was
    if queue_id is None or book.strategies.get(queue_id, Strategy.MANUAL) == Strategy.MANUAL:
        return UNASSIGNED
    return BY_STRATEGY


@dataclass(frozen=True)
class Move:
    number: str
    from_queue: int | None
    to_queue: int | None


@dataclass
class RoutingReport:
    """What the proposed rules would have changed, over the cases of the window."""

    cases: int = 0
    moved: int = 0
    moves: list[Move] = field(default_factory=list)  # the first LISTED
    owner_changed: int = 0
    fallback_actual: int = 0
    fallback_proposed: int = 0
    queues_before: Counter[int] = field(default_factory=Counter)  # NO_QUEUE: none
    queues_after: Counter[int] = field(default_factory=Counter)
    owners_before: Counter[OwnerKey] = field(default_factory=Counter)
    owners_after: Counter[OwnerKey] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)


def routing_replay(
    cases: Iterable[RoutingCase], rules: Sequence[CompiledRule], book: QueueBook
) -> RoutingReport:
    """Replays every case through `rules` and sums up where they would have gone."""
    report = RoutingReport()
    for case in cases:
        report.cases += 1
        goes = route_case(rules, case, book)
        before_owner: OwnerKey = case.owner_id or UNASSIGNED
        report.queues_before[case.queue_id or NO_QUEUE] += 1
        report.queues_after[goes.queue_id or NO_QUEUE] += 1
        report.owners_before[before_owner] += 1
        report.owners_after[goes.owner] += 1
        report.fallback_actual += case.via in ("fallback", "none")
        report.fallback_proposed += goes.via in ("fallback", "none")
        if goes.rule is not None:
            report.by_rule[goes.rule.name] += 1
        if goes.queue_id != case.queue_id:
            report.moved += 1
            if len(report.moves) < LISTED:
                report.moves.append(Move(case.number, case.queue_id, goes.queue_id))
        if goes.owner != before_owner:
            report.owner_changed += 1
    return report


def rules_with(
    current: Sequence[RuleSpec],
    draft: RuleSpec,
    *,
    enabled: bool = True,
    position: int | None = None,
) -> list[RuleSpec]:
    """The enabled rules with `draft` in place: instead of the rule it edits (at its place
    unless `position` moves it), else at `position` (0 first), else last; a disabled draft
    is left out."""
    editing = draft.id is not None and any(s.id == draft.id for s in current)
    others = [s for s in current if not (editing and s.id == draft.id)]
    if not enabled:
        return others
    if position is None:
        place = (
            next(i for i, s in enumerate(current) if s.id == draft.id) if editing else len(others)
        )
    else:
        place = max(0, min(position, len(others)))
    return [*others[:place], draft, *others[place:]]
