"""Escalation rules applied by the breach sweep: set-based, once per rule and case."""

from datetime import timedelta

from casedesk.cases.models import EventKind, TimelineEvent
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.routing.models import Queue
from casedesk.sla.models import EscalationRule
from casedesk.sla.policies import sla_seed_defaults
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)


def rule(tenant, name, conditions, actions):
    return EscalationRule.objects.create(tenant=tenant, name=name, conditions=conditions,
                                         actions=actions, created_at=NOW, updated_at=NOW)


def test_idle_urgent_cases_go_to_tier_two_once(tenant, agent, manager) -> None:
    tier2 = Queue.objects.create(tenant=tenant, name="Tier 2")
    rule(tenant, "Idle urgent to tier 2", [
        {"field": "priority", "op": "equals", "value": "urgent"},
        {"field": "idle_hours", "op": "gt", "value": 2},
    ], {"queue_id": tier2.pk, "notify": ["owner", "owner_manager"]})
    idle = make_case(tenant, now=NOW, priority=Priority.URGENT, owner_id=agent.user_id)
    busy = make_case(tenant, now=NOW + 2 * H, priority=Priority.URGENT)
    calm = make_case(tenant, now=NOW, priority=Priority.NORMAL)
    report = sla_sweep(now=NOW + 3 * H)
    assert report.escalated == {"Idle urgent to tier 2": 1}
    idle.refresh_from_db(), busy.refresh_from_db(), calm.refresh_from_db()
    assert idle.queue_id == tier2.pk and idle.owner_id is None
    assert busy.queue_id != tier2.pk and calm.queue_id != tier2.pk
    event = TimelineEvent.objects.get(case=idle, kind=EventKind.ESCALATED)
    assert event.message == ("Escalated by rule “Idle urgent to tier 2”: moved to Tier 2, "
                             "unassigned.")
    notices = Notification.objects.filter(kind=NotificationKind.ESCALATION, case=idle)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted(
        [agent.user_id, manager.user_id])
    assert sla_sweep(now=NOW + 10 * H).escalated == {"Idle urgent to tier 2": 1}  # busy now
    assert sla_sweep(now=NOW + 20 * H).escalated == {}


def test_breached_cases_raise_priority_and_tell_the_managers(tenant, manager) -> None:
    sla_seed_defaults(tenant, NOW)
    rule(tenant, "Breached: raise", [{"field": "breached", "op": "equals", "value": "any"}],
         {"raise_priority": True, "notify": ["managers"]})
    case = make_case(tenant, now=NOW, priority=Priority.LOW)
    sla_sweep(now=NOW + 4 * 24 * H)  # first response (24 business hours) breached
    case.refresh_from_db()
    # One rung from the breach itself, one from the rule.
    assert case.priority == Priority.HIGH
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION,
                                       recipient=manager.user).count() == 1
