"""The one way the SLA pages and the SLA API fetch a policy, a calendar, a holiday or an
escalation rule: scoped to the member's tenant, NotFound for anything else (another tenant's
included, so its existence is not given away). Permission (manager or admin) is the caller's
to check first."""

from casedesk.core.access import tenant_row
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.tenancy.models import Membership


def get_policy_for_member(membership: Membership, policy_id: int) -> SlaPolicy:
    """An SLA policy of the member's tenant, with its calendar."""
    policy = tenant_row(SlaPolicy.objects.select_related("calendar"), membership.tenant_id,
                        policy_id, f"No SLA policy with id {policy_id}.")
    policy.tenant = membership.tenant
    return policy


def get_calendar_for_member(membership: Membership, calendar_id: int) -> BusinessCalendar:
    """A business-hours calendar of the member's tenant."""
    calendar = tenant_row(BusinessCalendar.objects.all(), membership.tenant_id, calendar_id,
                          f"No calendar with id {calendar_id}.")
    calendar.tenant = membership.tenant
    return calendar


def get_holiday_for_calendar(calendar: BusinessCalendar, holiday_id: int) -> Holiday:
    """A holiday of that calendar (so of the member's tenant, once the calendar was fetched
    with `get_calendar_for_member`)."""
    holiday = tenant_row(Holiday.objects.filter(calendar=calendar), calendar.tenant_id,
                         holiday_id, f"No holiday with id {holiday_id} in {calendar.name}.")
    holiday.calendar = calendar
    return holiday


def get_escalation_rule_for_member(membership: Membership, rule_id: int) -> EscalationRule:
    """An escalation rule of the member's tenant."""
    rule = tenant_row(EscalationRule.objects.all(), membership.tenant_id, rule_id,
                      f"No escalation rule with id {rule_id}.")
    rule.tenant = membership.tenant
    return rule
