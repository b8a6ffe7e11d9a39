"""The set-based case services the sweeps use, the timeline's and notifications' one writers,
and the hook by which `sla` asks `cases` to recompute clocks."""

from datetime import timedelta

import pytest
from django.db import transaction

from casedesk.cases.batch import (
    cases_mark_breached,
    cases_mark_warned,
    cases_move_to_queue,
    cases_raise_priority,
)
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.timeline import event_of, timeline_write
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.routing.models import Queue
from casedesk.sla import hooks
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import make_case


def test_raising_priority_moves_each_case_one_rung_and_urgent_stays(tenant: Tenant) -> None:
    low = make_case(tenant, now=NOW, priority=Priority.LOW)
    urgent = make_case(tenant, now=NOW, priority=Priority.URGENT)
    updated_at = Case.objects.get(pk=low.pk).updated_at

    assert cases_raise_priority([low.pk, urgent.pk]) == 1

    low.refresh_from_db()
    urgent.refresh_from_db()
    assert (low.priority, urgent.priority) == (Priority.NORMAL, Priority.URGENT)
    assert low.updated_at == updated_at  # "no update for N hours" counts people's work


def test_marks_write_the_target_columns_only(tenant: Tenant) -> None:
    case = make_case(tenant, now=NOW)
    later = NOW + timedelta(hours=9)

    cases_mark_breached([case.pk], "resolution", later)
    cases_mark_warned([case.pk], "first_response", later)

    case.refresh_from_db()
    assert case.resolution_breached_at == later
    assert case.first_response_warned_at == later
    assert case.first_response_breached_at is None
    assert case.next_response_breached_at is None


@pytest.mark.parametrize("target", ["status", "resolution_due", ""])
def test_a_mark_of_an_unknown_target_is_refused(tenant: Tenant, target: str) -> None:
    case = make_case(tenant, now=NOW)
    with pytest.raises(ValueError, match="target|warning"):
        cases_mark_breached([case.pk], target, NOW)
    with pytest.raises(ValueError, match="target|warning"):
        cases_mark_warned([case.pk], target, NOW)


def test_a_warning_has_no_next_response_mark(tenant: Tenant) -> None:
    case = make_case(tenant, now=NOW)
    with pytest.raises(ValueError, match="warning"):
        cases_mark_warned([case.pk], "next_response", NOW)


def test_moving_to_a_queue_unassigns_and_stays_in_the_queues_tenant(
        tenant: Tenant, other_tenant: Tenant, agent: Membership) -> None:
    mine = make_case(tenant, now=NOW, owner_id=agent.user_id)
    theirs = make_case(other_tenant, now=NOW)
    escalations = Queue.objects.create(tenant=tenant, name="Escalations")

    assert cases_move_to_queue([mine.pk, theirs.pk], escalations) == 1

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.queue_id, mine.owner_id) == (escalations.pk, None)
    assert theirs.queue_id != escalations.pk


def test_the_writers_write_what_they_are_given(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, now=NOW)
    before = TimelineEvent.objects.filter(case=case).count()

    timeline_write([event_of(tenant_id=tenant.pk, case_id=case.pk, kind=EventKind.ESCALATED,
                             now=NOW, message="Escalated by rule “Stale”.")])
    notices_write([Notice(tenant_id=tenant.pk, recipient_id=agent.user_id, case_id=case.pk,
                          kind=NotificationKind.ESCALATION, message="x" * 600)], NOW)

    events = TimelineEvent.objects.filter(case=case)
    assert events.count() == before + 1
    written = events.get(kind=EventKind.ESCALATED)
    assert (written.actor_id, written.created_at) == (None, NOW)
    notice = Notification.objects.get(case_id=case.pk, recipient_id=agent.user_id)
    assert len(notice.message) == 500 and notice.created_at == NOW


def test_clocks_stale_runs_the_registered_hooks_after_commit(
        tenant: Tenant, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks) -> None:
    heard: list[int] = []
    monkeypatch.setattr(hooks, "_clocks_stale_hooks", [heard.append])
    version = tenant.sla_version

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.clocks_stale(tenant)
        assert heard == []  # nothing runs before the change is committed

    assert heard == [tenant.pk]
    tenant.refresh_from_db()
    assert tenant.sla_version == version + 1
