"""SLA clocks through the case services, and the breach sweep, with the clock in the test's
hands (NOW is Monday 23 November 2026, 09:00 UTC; the tenant works 09–17 UTC, Mon–Fri)."""

from datetime import timedelta

import pytest

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.sla.models import SlaPause, SlaPolicy
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)


@pytest.fixture
def desk(tenant: Tenant) -> Tenant:
    sla_seed_defaults(tenant, NOW)
    return tenant


def test_a_new_tenant_gets_a_policy_per_priority(desk) -> None:
    names = list(SlaPolicy.objects.filter(tenant=desk).values_list("name", flat=True))
    assert names == ["Urgent priority", "High priority", "Normal priority", "Low priority"]


def test_clocks_start_at_creation_in_business_hours(desk) -> None:
    case = make_case(desk, now=NOW)
    assert case.sla_policy.name == "Normal priority"
    assert case.first_response_due_at == NOW + 8 * H  # Monday 17:00
    assert case.resolution_due_at == NOW + 2 * 24 * H + 8 * H  # Wednesday 17:00
    assert case.first_response_warn_at == NOW + 6 * H  # 75 %


def test_urgent_targets_run_round_the_clock(desk) -> None:
    friday_night = NOW - 3 * 24 * H + 13 * H  # Friday 22:00
    case = make_case(desk, now=friday_night, priority=Priority.URGENT)
    assert case.first_response_due_at == friday_night + H
    assert case.resolution_due_at == friday_night + 4 * H


def test_a_case_created_after_hours_starts_counting_next_morning(desk) -> None:
    case = make_case(desk, now=NOW - 3 * 24 * H + 9 * H)  # Friday 18:00
    assert case.first_response_due_at == NOW + 8 * H  # Monday 17:00


def test_a_priority_change_recomputes_the_due_times(desk) -> None:
    case = make_case(desk, now=NOW)
    case = case_update(case=case, actor=None, changes={"priority": Priority.HIGH},
                       now=NOW + H)
    assert case.sla_policy.name == "High priority"
    assert case.first_response_due_at == NOW + 4 * H


def walk(case: Case, *targets: str, at) -> Case:
    for to in targets:
        case = case_transition(case=case, actor=None, to=to, note="n", now=at,
                               closed_reason="Resolved")
    return case


def test_waiting_on_the_customer_pauses_and_resuming_adds_the_paused_time(desk) -> None:
    case = make_case(desk, now=NOW)
    case = walk(case, "open", "in_progress", at=NOW)
    case = walk(case, "pending_customer", at=NOW + 2 * H)  # Monday 11:00
    assert case.first_response_due_at is None and case.resolution_due_at is None
    case = walk(case, "in_progress", at=NOW + 24 * H + 2 * H)  # Tuesday 11:00
    # Eight business hours were paused (Mon 11–17, Tue 9–11).
    assert case.first_response_due_at == NOW + 24 * H + 8 * H  # Tuesday 17:00
    assert SlaPause.objects.get(case=case).ended_at == NOW + 26 * H


def test_pausing_is_a_tenant_setting(desk) -> None:
    Tenant.objects.filter(pk=desk.pk).update(sla_pause_when_pending=False)
    case = walk(make_case(Tenant.objects.get(pk=desk.pk), now=NOW), "open", "in_progress",
                "pending_customer", at=NOW + H)
    assert case.first_response_due_at == NOW + 8 * H


def test_first_response_is_the_first_public_agent_reply_and_sticks(desk, agent) -> None:
    case = make_case(desk, now=NOW, owner_id=agent.user_id)
    case_add_note(case=case, actor=agent.user, body="looking", is_public=False, now=NOW + H)
    report = sla_sweep(now=NOW + 9 * H)
    assert report.breached_first_response == 1  # an internal note is not a response
    other = make_case(desk, now=NOW, owner_id=agent.user_id)
    case_add_note(case=other, actor=agent.user, body="Hi!", is_public=True, now=NOW + H)
    case_add_note(case=other, actor=agent.user, body="Again", is_public=True, now=NOW + 2 * H)
    other.refresh_from_db()
    assert other.first_response_at == NOW + H
    assert sla_sweep(now=NOW + 10 * H).breached_first_response == 0


def test_the_sweep_marks_elevates_and_notifies_once(desk, agent, manager) -> None:
    case = make_case(desk, now=NOW, owner_id=agent.user_id)
    assert sla_sweep(now=NOW + 8 * H).cases == []  # due exactly now: not yet past
    report = sla_sweep(now=NOW + 8 * H + timedelta(minutes=1))
    assert report.cases == [case.pk]
    assert (report.breached_first_response, report.elevated) == (1, 1)
    case.refresh_from_db()
    assert case.first_response_breached_at == NOW + 8 * H + timedelta(minutes=1)
    assert case.priority == Priority.HIGH
    event = TimelineEvent.objects.get(case=case, kind=EventKind.SLA_BREACHED)
    assert event.message == "SLA breached: first response. Priority raised to high."
    breach_notices = Notification.objects.filter(case=case, kind=NotificationKind.SLA_BREACH)
    assert sorted(breach_notices.values_list("recipient_id", flat=True)) == sorted(
        [agent.user_id, manager.user_id])
    again = sla_sweep(now=NOW + 9 * H)
    assert again.cases == [] and again.notified == 0
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    # The resolution target breaches later: marked, and one more rung.
    later = sla_sweep(now=NOW + 3 * 24 * H)
    assert later.breached_resolution == 1
    case.refresh_from_db()
    assert case.priority == Priority.URGENT and case.resolution_breached_at is not None


def test_urgent_stays_urgent_and_both_targets_in_one_sweep_elevate_once(desk) -> None:
    case = make_case(desk, now=NOW, priority=Priority.URGENT)
    report = sla_sweep(now=NOW + 10 * H)
    assert (report.breached_first_response, report.breached_resolution) == (1, 1)
    assert report.elevated == 0
    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    assert TimelineEvent.objects.get(case=case, kind=EventKind.SLA_BREACHED).message == \
        "SLA breached: first response and resolution."


def test_paused_resolved_and_closed_cases_are_never_breached(desk) -> None:
    waiting = walk(make_case(desk, now=NOW), "open", "in_progress", "pending_customer", at=NOW)
    resolved = walk(make_case(desk, now=NOW), "open", "in_progress", "resolved", at=NOW)
    assert sla_sweep(now=NOW + 30 * 24 * H).cases == []
    assert waiting.status == "pending_customer" and resolved.status == "resolved"


def test_unowned_cases_notify_the_managers(desk, manager) -> None:
    make_case(desk, now=NOW)
    report = sla_sweep(now=NOW + 9 * H)
    assert report.notified == 1
    assert Notification.objects.get(kind=NotificationKind.SLA_BREACH).recipient == manager.user


def test_warnings_reach_the_owner_once(desk, agent) -> None:
    case = make_case(desk, now=NOW, owner_id=agent.user_id)
    report = sla_sweep(now=NOW + 6 * H + timedelta(minutes=1))
    assert report.warned == 1 and report.cases == []
    assert sla_sweep(now=NOW + 7 * H).warned == 0
    notice = Notification.objects.get(kind=NotificationKind.SLA_WARNING, case=case)
    assert notice.recipient == agent.user and "first response due" in notice.message


def test_a_sweep_for_one_tenant_leaves_the_others(desk, other_tenant) -> None:
    sla_seed_defaults(other_tenant, NOW)
    make_case(desk, now=NOW)
    theirs = make_case(other_tenant, now=NOW)
    assert len(sla_sweep(now=NOW + 9 * H, tenant=desk).cases) == 1
    theirs.refresh_from_db()
    assert theirs.first_response_breached_at is None


def test_a_late_first_reply_is_marked_breached_even_before_any_sweep(desk, agent) -> None:
    case = make_case(desk, now=NOW, owner_id=agent.user_id)
    case_add_note(case=case, actor=agent.user, body="Sorry!", is_public=True, now=NOW + 9 * H)
    case.refresh_from_db()
    assert case.first_response_breached_at == NOW + 9 * H
    assert TimelineEvent.objects.get(case=case, kind=EventKind.SLA_BREACHED).message == (
        "SLA breached: first response (met after it was due).")
    assert sla_sweep(now=NOW + 10 * H).breached_first_response == 0


def test_lateness_survives_a_pause_and_a_resolve(desk) -> None:
    case = walk(make_case(desk, now=NOW), "open", "in_progress", at=NOW)
    case = walk(case, "pending_customer", at=NOW + 9 * H)  # first response overdue by 1 h
    assert case.first_response_breached_at == NOW + 9 * H
    case = walk(case, "in_progress", "resolved", at=NOW + 4 * 24 * H)
    assert case.resolution_breached_at is None  # paused Monday 18:00 to Friday 09:00
    late = walk(make_case(desk, now=NOW), "open", "in_progress", "resolved", at=NOW + 96 * H)
    assert late.resolution_breached_at == NOW + 96 * H  # due Wednesday 17:00
    on_time = walk(make_case(desk, now=NOW), "open", "in_progress", "resolved", at=NOW + H)
    assert on_time.resolution_breached_at is None
