"""Reads of the SLA set-up, shared by the SLA API and the SLA pages: the tenant's policies,
calendars, holidays and escalation rules, and the set-up lists in words. Every read takes the
tenant; no list costs more with more cases."""

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from casedesk.routing.models import Queue
from casedesk.routing.selectors import queue_names
from casedesk.routing.words import describe_condition
from casedesk.sla import hooks
from casedesk.sla.models import BusinessCalendar, EscalationHit, EscalationRule, Holiday, SlaPolicy
from casedesk.sla.words import (
    escalation_action_words,
    escalation_condition_words,
    target_words,
    week_words,
)
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.selectors import member_names

# Lists count open cases and escalations no further than this (a LIMIT subquery along an
# index), so a page costs the same with a million cases.
COUNT_CAP = 1000


def _capped(count: int) -> str:
    return f"{count:,}+" if count >= COUNT_CAP else f"{count:,}"


def policies_in_order(tenant_id: int) -> QuerySet[SlaPolicy]:
    """The tenant's policies, first policy first, with their calendars."""
    return (SlaPolicy.objects.filter(tenant_id=tenant_id).select_related("calendar")
            .order_by("position", "id"))


def policy_ids_in_order(tenant_id: int) -> list[int]:
    return list(SlaPolicy.objects.filter(tenant_id=tenant_id).order_by("position", "id")
                .values_list("pk", flat=True))


def calendars_with_policies(tenant_id: int) -> QuerySet[BusinessCalendar]:
    """The tenant's calendars by name, with the policies counting in each."""
    return (BusinessCalendar.objects.filter(tenant_id=tenant_id).order_by("name")
            .prefetch_related("policies"))


def calendar_choices(tenant_id: int) -> list[tuple[int, str, str]]:
    """(id, name, time zone) of the tenant's calendars, by name."""
    return list(BusinessCalendar.objects.filter(tenant_id=tenant_id).order_by("name")
                .values_list("pk", "name", "time_zone"))


def holidays_of(calendar: BusinessCalendar) -> list[Holiday]:
    return list(Holiday.objects.filter(tenant_id=calendar.tenant_id, calendar=calendar)
                .order_by("starts_on", "id"))


def escalation_rules_in_order(tenant_id: int) -> QuerySet[EscalationRule]:
    """The tenant's escalation rules in the order the sweep runs them."""
    return EscalationRule.objects.filter(tenant_id=tenant_id).order_by("position", "id")


def queue_choices(tenant_id: int) -> list[tuple[int, str, bool]]:
    """(id, name, is active) of the tenant's queues, by name."""
    return list(Queue.objects.filter(tenant_id=tenant_id).order_by("name")
                .values_list("pk", "name", "is_active"))


# --- the set-up lists in words ----------------------------------------------------------------

@dataclass
class PolicyLine:
    policy: SlaPolicy
    number: int
    conditions: list[str]
    targets: list[tuple[str, str]]
    open_cases: int = 0
    is_first: bool = False
    is_last: bool = False

    @property
    def open_cases_text(self) -> str:
        return _capped(self.open_cases)


def policy_lines(tenant: Tenant) -> list[PolicyLine]:
    """The tenant's policies in order, in words, with how many open cases each governs."""
    policies = list(policies_in_order(tenant.pk))
    counts = hooks.open_cases_by_policy(tenant, [p.pk for p in policies], COUNT_CAP)
    lines = []
    for i, policy in enumerate(policies):
        targets = [("First response", target_words(policy.first_response_minutes,
                                                   policy.first_response_business))]
        if policy.next_response_minutes is not None:
            targets.append(("Next response", target_words(policy.next_response_minutes,
                                                          policy.next_response_business)))
        targets.append(("Resolution", target_words(policy.resolution_minutes,
                                                   policy.resolution_business)))
        lines.append(PolicyLine(
            policy=policy, number=i + 1, targets=targets, open_cases=counts.get(policy.pk, 0),
            conditions=[describe_condition(c) for c in policy.conditions or []
                        if isinstance(c, dict)]))
    if lines:
        lines[0].is_first = lines[-1].is_last = True
    return lines


@dataclass
class CalendarLine:
    calendar: BusinessCalendar
    hours: list[str]
    holidays: int
    policies: list[str] = field(default_factory=list)


def calendar_lines(tenant: Tenant) -> list[CalendarLine]:
    calendars = list(BusinessCalendar.objects.filter(tenant=tenant)
                     .annotate(holiday_count=Count("holidays")).order_by("name"))
    used: dict[int, list[str]] = {}
    for calendar_id, name in (SlaPolicy.objects.filter(tenant=tenant, calendar__isnull=False)
                              .order_by("position", "id").values_list("calendar_id", "name")):
        used.setdefault(calendar_id, []).append(name)
    return [CalendarLine(calendar=c, hours=week_words(c.week),
                         holidays=getattr(c, "holiday_count", 0), policies=used.get(c.pk, []))
            for c in calendars]


@dataclass
class EscalationLine:
    rule: EscalationRule
    number: int
    conditions: list[str]
    actions: list[str]
    hits: int = 0

    @property
    def hits_text(self) -> str:
        return _capped(self.hits)


def escalation_lines(tenant: Tenant) -> list[EscalationLine]:
    rules = list(escalation_rules_in_order(tenant.pk))
    queues = queue_names(tenant)
    members = member_names(tenant.pk)
    hits = {rule.pk: EscalationHit.objects.filter(rule_id=rule.pk).order_by()[:COUNT_CAP]
            .count() for rule in rules}
    return [EscalationLine(
        rule=rule, number=i + 1, hits=hits[rule.pk],
        conditions=[escalation_condition_words(c, queues) for c in rule.conditions or []
                    if isinstance(c, dict)],
        actions=escalation_action_words(rule.actions or {}, queues, members))
        for i, rule in enumerate(rules)]
