"""The what-if replay's decisions (`assist.whatif`), without a database."""

from datetime import UTC, date, datetime, timedelta

from casedesk.assist.whatif import (
    BY_STRATEGY,
    NEW_POLICY_ID,
    UNASSIGNED,
    PolicyChoice,
    QueueBook,
    RoutingCase,
    SlaCase,
    policy_set,
    recorded_breach,
    route_case,
    routing_replay,
    rules_with,
    sla_outcome,
    sla_replay,
)
from casedesk.routing.rules import (
    Actions,
    CaseFacts,
    RuleSpec,
    compile_rule,
    compile_rules,
    parse_conditions,
)
from casedesk.sla.clock import ALWAYS, Calendar, weekdays
from casedesk.sla.policies import Targets

# A Monday, 09:00 UTC.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = MONDAY + timedelta(days=20)
OFFICE = Calendar("UTC", weekdays(9 * 60, 17 * 60))
HOURS = timedelta(hours=1)


def targets(first: float, resolution: float, calendar: Calendar = ALWAYS) -> Targets:
    return Targets(
        first_response=first * HOURS,
        resolution=resolution * HOURS,
        first_response_calendar=calendar,
        resolution_calendar=calendar,
        warn_at=0.75,
    )


def policy(pk: int, name: str, conditions: list[dict[str, object]], t: Targets) -> PolicyChoice:
    spec = RuleSpec(
        id=pk, name=name, conditions=parse_conditions(conditions), actions=Actions(tags=("sla",))
    )
    return PolicyChoice(id=pk, name=name, rule=compile_rule(spec), targets=t)


def sla_case(
    number: int,
    *,
    created: datetime = MONDAY,
    first: float | None = None,
    priority: int = 2,
    policy_id: int | None = 1,
    fr_breached: bool = False,
    res_breached: bool = False,
    pauses: tuple[tuple[datetime, datetime | None], ...] = (),
    category: str = "",
) -> SlaCase:
    return SlaCase(
        number=f"CS-{number}",
        created_at=created,
        priority=priority,
        facts=CaseFacts(priority=priority, category=category),
        first_response_at=created + first * HOURS if first is not None else None,
        pauses=pauses,
        policy_id=policy_id,
        first_response_breached=fr_breached,
        resolution_breached=res_breached,
    )


def resolved(created: datetime, after_hours: float) -> tuple[tuple[datetime, None]]:
    """The open pause of a case resolved `after_hours` after creation."""
    return ((created + after_hours * HOURS, None),)


# --- SLA ----------------------------------------------------------------------------------------


def test_a_tighter_first_response_target_flips_the_cases_between_the_two_targets() -> None:
    normal = policy(
        1, "Normal", [{"field": "priority", "op": "equals", "value": "normal"}], targets(8, 100)
    )
    cases = [
        sla_case(1, first=2, pauses=resolved(MONDAY, 20)),
        sla_case(2, first=5, pauses=resolved(MONDAY, 20)),
        sla_case(3, first=6, pauses=resolved(MONDAY, 20)),
        sla_case(4, first=9, fr_breached=True, pauses=resolved(MONDAY, 20)),
    ]
    tighter = policy(
        1, "Normal", [{"field": "priority", "op": "equals", "value": "normal"}], targets(4, 100)
    )
    chosen = policy_set([normal], tighter, enabled=True, position=None)

    report = sla_replay(cases, chosen, 1, NOW)

    assert (report.cases, report.matched, report.touched) == (4, 4, 4)
    assert report.first_response.actual == 1
    assert report.first_response.proposed == 3
    assert report.first_response.became_breached_cases == ["CS-2", "CS-3"]
    assert report.first_response.became_met == 0
    assert report.resolution.proposed == report.resolution.actual == 0
    assert report.by_priority[2].first_response_proposed == 3


def test_a_looser_target_turns_recorded_breaches_into_met() -> None:
    loose = policy(1, "Normal", [], targets(10, 100))
    cases = [sla_case(1, first=9, fr_breached=True, pauses=resolved(MONDAY, 20))]
    report = sla_replay(cases, policy_set([], loose, enabled=True, position=None), 1, NOW)
    assert report.first_response.became_met_cases == ["CS-1"]


def test_business_hours_count_only_open_hours_and_skip_holidays() -> None:
    friday_four = MONDAY + timedelta(days=4, hours=7)  # Friday 16:00
    case = sla_case(1, created=friday_four, first=66, pauses=resolved(friday_four, 70))
    # Answered Monday 10:00: one business hour on Friday, one on Monday.
    assert sla_outcome(targets(3, 500, OFFICE), case, NOW).first_response is False
    assert sla_outcome(targets(1.5, 500, OFFICE), case, NOW).first_response is True
    assert sla_outcome(targets(3, 500), case, NOW).first_response is True  # 24/7: 66 hours
    holiday = Calendar("UTC", OFFICE.week, frozenset({date(2026, 11, 9)}))
    # With Monday a holiday, only Friday's hour has passed by Monday 10:00.
    assert sla_outcome(targets(1.5, 500, holiday), case, NOW).first_response is False


def test_pauses_stop_the_resolution_clock() -> None:
    waiting = ((MONDAY + 1 * HOURS, MONDAY + 10 * HOURS), (MONDAY + 12 * HOURS, None))
    case = sla_case(1, first=0.5, pauses=waiting)
    # One hour before the wait, two after it, then resolved: three hours on the clock.
    assert sla_outcome(targets(1, 4), case, NOW).resolution is False
    assert sla_outcome(targets(1, 2.5), case, NOW).resolution is True
    unpaused = sla_case(1, first=0.5, pauses=((MONDAY + 12 * HOURS, None),))
    assert sla_outcome(targets(1, 4), unpaused, NOW).resolution is True


def test_a_case_still_open_and_unanswered_counts_until_now() -> None:
    case = sla_case(1, created=NOW - 3 * HOURS)
    assert sla_outcome(targets(2, 100), case, NOW).first_response is True
    assert sla_outcome(targets(4, 100), case, NOW).first_response is False
    assert not sla_outcome(None, case, NOW).first_response


def test_the_record_counts_running_clocks_past_due_and_not_paused_ones() -> None:
    due_at = NOW - HOURS
    assert recorded_breach(breached_at=None, due_at=due_at, running=True, now=NOW)
    assert not recorded_breach(breached_at=None, due_at=due_at, running=False, now=NOW)
    assert recorded_breach(breached_at=due_at, due_at=None, running=False, now=NOW)


def test_cases_of_other_policies_are_untouched_and_a_narrowed_policy_lets_cases_go() -> None:
    urgent = policy(
        1, "Urgent", [{"field": "priority", "op": "equals", "value": "urgent"}], targets(1, 4)
    )
    rest = policy(2, "Rest", [], targets(100, 1000))
    cases = [
        sla_case(1, priority=4, first=2, policy_id=1, fr_breached=True, pauses=resolved(MONDAY, 3)),
        sla_case(2, priority=2, first=2, policy_id=2, pauses=resolved(MONDAY, 3)),
    ]
    # Urgent disabled: its case falls to "Rest" and meets its target there.
    chosen = policy_set([urgent, rest], urgent, enabled=False, position=None)
    report = sla_replay(cases, chosen, 1, NOW)
    assert (report.matched, report.touched) == (0, 1)
    assert report.first_response.became_met_cases == ["CS-1"]


def test_the_proposal_takes_its_place_among_the_enabled_policies() -> None:
    one, two, three = (policy(i, str(i), [], targets(1, 2)) for i in (1, 2, 3))
    edited = policy(2, "2 changed", [], targets(1, 2))
    assert [p.name for p in policy_set([one, two, three], edited, enabled=True, position=None)] == [
        "1",
        "2 changed",
        "3",
    ]
    assert [p.name for p in policy_set([one, two, three], edited, enabled=True, position=0)] == [
        "2 changed",
        "1",
        "3",
    ]
    new = policy(NEW_POLICY_ID, "new", [], targets(1, 2))
    assert [p.name for p in policy_set([one, two], new, enabled=True, position=None)] == [
        "1",
        "2",
        "new",
    ]
    assert [p.name for p in policy_set([one, two], new, enabled=True, position=1)] == [
        "1",
        "new",
        "2",
    ]


# --- routing ------------------------------------------------------------------------------------

SUPPORT, FINANCE, ENGINEERING = 10, 11, 12
BOOK = QueueBook(
    active={SUPPORT: "Support", FINANCE: "Finance", ENGINEERING: "Engineering"},
    strategies={SUPPORT: "round_robin", FINANCE: "round_robin", ENGINEERING: "manual"},
    owners=frozenset({100, 101, 102}),
)


def rule(pk: int | None, category: str, **actions: object) -> RuleSpec:
    return RuleSpec(
        id=pk,
        name=f"{category} rule",
        conditions=parse_conditions([{"field": "category", "op": "equals", "value": category}]),
        actions=Actions(**actions),
    )  # type: ignore[arg-type]


def routed(
    number: int, category: str, queue: int | None, owner: int | None = None, via: str = "rule"
) -> RoutingCase:
    return RoutingCase(
        number=f"CS-{number}",
        facts=CaseFacts(category=category),
        queue_id=queue,
        owner_id=owner,
        via=via,
    )


def test_a_rule_moving_billing_to_finance_changes_the_distribution_by_the_billing_cases() -> None:
    support_all = RuleSpec(
        id=1, name="All to Support", conditions=(), actions=Actions(queue_id=SUPPORT)
    )
    cases = [
        routed(1, "Billing", SUPPORT, 100),
        routed(2, "Billing", SUPPORT, 101),
        routed(3, "Billing", SUPPORT, None),
        routed(4, "Question", SUPPORT, 100),
        routed(5, "Question", SUPPORT, 101),
    ]
    proposed = rules_with([support_all], rule(None, "Billing", queue_id=FINANCE), position=0)

    report = routing_replay(cases, compile_rules(proposed), BOOK)

    assert report.cases == 5
    assert report.moved == 3
    assert [m.number for m in report.moves] == ["CS-1", "CS-2", "CS-3"]
    assert report.queues_before == {SUPPORT: 5}
    assert report.queues_after == {SUPPORT: 2, FINANCE: 3}
    # Finance picks round-robin: who it would have picked is not replayed.
    assert report.owners_after == {BY_STRATEGY: 3, 100: 1, 101: 1}
    assert report.owners_before == {100: 2, 101: 2, UNASSIGNED: 1}
    assert report.by_rule == {"Billing rule": 3, "All to Support": 2}
    assert report.fallback_proposed == 0


def test_unmatched_cases_go_by_the_fallback_map_and_given_queues_stay() -> None:
    only_vip = RuleSpec(
        id=1,
        name="VIP",
        conditions=parse_conditions([{"field": "tags", "op": "contains", "value": "vip"}]),
        actions=Actions(owner_id=102),
    )
    rules = compile_rules([only_vip])
    technical = route_case(rules, routed(1, "Technical", SUPPORT, 100), BOOK)
    assert (technical.queue_id, technical.owner, technical.via) == (
        ENGINEERING,
        UNASSIGNED,
        "fallback",
    )  # Engineering is a manual queue
    other = route_case(rules, routed(2, "Other", SUPPORT, 100, via="fallback"), BOOK)
    assert (other.queue_id, other.owner) == (SUPPORT, 100)  # the same queue: as it was
    given = route_case(rules, routed(3, "Technical", FINANCE, None, via="given"), BOOK)
    assert (given.queue_id, given.via) == (FINANCE, "given")
    vip = RoutingCase(
        number="CS-4", facts=CaseFacts(tags=("vip",)), queue_id=SUPPORT, owner_id=100, via="rule"
    )
    assert route_case(rules, vip, BOOK).owner == 102


def test_an_archived_queue_or_departed_owner_is_passed_over_as_routing_does() -> None:
    gone = RuleSpec(id=1, name="Gone", conditions=(), actions=Actions(queue_id=99, owner_id=555))
    goes = route_case(compile_rules([gone]), routed(1, "Billing", SUPPORT), BOOK)
    assert (goes.queue_id, goes.via) == (FINANCE, "fallback")


def test_a_draft_rule_replaces_the_rule_it_edits_in_its_place() -> None:
    a, b, c = (rule(i, name, queue_id=SUPPORT) for i, name in ((1, "A"), (2, "B"), (3, "C")))
    changed = rule(2, "B2", queue_id=FINANCE)
    assert [s.name for s in rules_with([a, b, c], changed)] == ["A rule", "B2 rule", "C rule"]
    assert [s.name for s in rules_with([a, b, c], changed, enabled=False)] == ["A rule", "C rule"]
    assert [s.name for s in rules_with([a, b, c], rule(None, "N", tags=("x",)), position=1)] == [
        "A rule",
        "N rule",
        "B rule",
        "C rule",
    ]
