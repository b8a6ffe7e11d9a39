"""Domain getters the console's admin pages still use until each moves to its app's
`access.py` (issue 11)."""

from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.routing.models import Queue, RoutingRule
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.tenancy.models import Membership


def get_rule_for_member(membership: Membership, rule_id: int) -> RoutingRule:
    """A routing rule of the member's tenant; NotFound for anything else (another tenant's
    rule included)."""
    rule = (RoutingRule.objects.filter(tenant_id=membership.tenant_id, pk=rule_id).first()
            if 0 < rule_id <= MAX_ID else None)
    if rule is None:
        raise NotFound(f"No routing rule {rule_id} in this tenant.")
    rule.tenant = membership.tenant
    return rule


def get_queue_for_member(membership: Membership, queue_id: int) -> Queue:
    queue = (Queue.objects.filter(tenant_id=membership.tenant_id, pk=queue_id).first()
             if 0 < queue_id <= MAX_ID else None)
    if queue is None:
        raise NotFound(f"No queue {queue_id} in this tenant.")
    queue.tenant = membership.tenant
    return queue


def get_policy_for_member(membership: Membership, policy_id: int) -> SlaPolicy:
    """An SLA policy of the member's tenant; NotFound for anything else."""
    policy = (SlaPolicy.objects.select_related("calendar")
              .filter(tenant_id=membership.tenant_id, pk=policy_id).first()
              if 0 < policy_id <= MAX_ID else None)
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id} in this tenant.")
    policy.tenant = membership.tenant
    return policy


def get_calendar_for_member(membership: Membership, calendar_id: int) -> BusinessCalendar:
    """A business-hours calendar of the member's tenant; NotFound for anything else."""
    calendar = (BusinessCalendar.objects.filter(tenant_id=membership.tenant_id,
                                                pk=calendar_id).first()
                if 0 < calendar_id <= MAX_ID else None)
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id} in this tenant.")
    calendar.tenant = membership.tenant
    return calendar


def get_holiday_for_calendar(calendar: BusinessCalendar, holiday_id: int) -> Holiday:
    """A holiday of that calendar (so of the member's tenant); NotFound for anything else."""
    holiday = (Holiday.objects.filter(tenant_id=calendar.tenant_id, calendar=calendar,
                                      pk=holiday_id).first()
               if 0 < holiday_id <= MAX_ID else None)
    if holiday is None:
        raise NotFound(f"No holiday {holiday_id} in the calendar {calendar.name}.")
    holiday.calendar = calendar
    return holiday


def get_escalation_rule_for_member(membership: Membership, rule_id: int) -> EscalationRule:
    """An escalation rule of the member's tenant; NotFound for anything else."""
    rule = (EscalationRule.objects.filter(tenant_id=membership.tenant_id, pk=rule_id).first()
            if 0 < rule_id <= MAX_ID else None)
    if rule is None:
        raise NotFound(f"No escalation rule {rule_id} in this tenant.")
    rule.tenant = membership.tenant
    return rule
