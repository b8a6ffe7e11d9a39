"""Applying the escalation rules to cases: each enabled rule (of one tenant, or all) as one
set-based filter over the open cases at `now`, once per rule and case, then its actions
through the set-based case services. The rules themselves (and their checking) are
`sla.escalation`; the breach sweep calls `escalate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from casedesk.cases.batch import cases_move_to_queue, cases_raise_priority
from casedesk.cases.models import OPEN_STATUS_VALUES, Case, EventKind
from casedesk.cases.timeline import event_of, timeline_write
from casedesk.core.errors import Invalid
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.routing.models import Queue
from casedesk.sla.escalation import Condition, parse_actions, parse_conditions
from casedesk.sla.models import EscalationHit, EscalationRule
from casedesk.tenancy.models import Membership, Role


def case_filter(conditions: tuple[Condition, ...], now: datetime) -> Q:
    """The rule's conditions as one filter over cases, at `now`."""
    q = Q()
    for c in conditions:
        if c.field in ("age_hours", "idle_hours"):
            column = "created_at" if c.field == "age_hours" else "updated_at"
            cutoff = now - timedelta(hours=c.value)
            q &= Q(**{f"{column}__{'lt' if c.op == 'gt' else 'lte'}": cutoff})
        elif c.field == "priority":
            lookup = {"equals": "exact", "in": "in", "gte": "gte", "lte": "lte"}[c.op]
            q &= Q(**{f"priority__{lookup}": c.value})
        elif c.field in ("status", "queue_id"):
            if c.op == "is_empty":
                q &= Q(queue_id__isnull=True)
            else:
                q &= Q(**{f"{c.field}__{'in' if c.op == 'in' else 'exact'}": c.value})
        elif c.field == "owner_id":
            q &= Q(owner_id__isnull=c.op == "is_empty")
        elif c.field == "breached":
            first, resolution = (Q(first_response_breached_at__isnull=False),
                                 Q(resolution_breached_at__isnull=False))
            q &= {"first_response": first, "resolution": resolution}.get(
                c.value, first | resolution)
    return q


def not_yet_hit(rule_id: int) -> Exists:
    return Exists(EscalationHit.objects.filter(rule_id=rule_id, case_id=OuterRef("pk")))


@dataclass
class Escalated:
    rule: str
    cases: int


def escalate(*, now: datetime, tenant_id: int | None = None) -> list[Escalated]:
    """Applies every enabled escalation rule (of one tenant, or all) to the open cases it
    matches and has not escalated before."""
    rules = EscalationRule.objects.filter(is_enabled=True).select_related("tenant")
    if tenant_id is not None:
        rules = rules.filter(tenant_id=tenant_id)
    done = []
    for rule in rules.order_by("tenant_id", "position", "id"):
        try:
            conditions = parse_conditions(rule.conditions)
            actions = parse_actions(rule.actions)
        except Invalid:
            continue  # stored rules were checked; one edited by hand is skipped, not fatal
        rows = list(
            Case.objects.filter(case_filter(conditions, now), tenant_id=rule.tenant_id,
                                status__in=OPEN_STATUS_VALUES)
            .filter(~not_yet_hit(rule.pk))
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "owner_id", "priority", "number")
        )
        if not rows:
            continue
        ids = [r[0] for r in rows]
        EscalationHit.objects.bulk_create(
            [EscalationHit(tenant_id=rule.tenant_id, rule=rule, case_id=pk, at=now)
             for pk in ids], ignore_conflicts=True, batch_size=2000)
        parts = []
        if actions.raise_priority:
            cases_raise_priority(ids)
            parts.append("priority raised one rung")
        if actions.queue_id is not None:
            queue = Queue.objects.filter(tenant_id=rule.tenant_id, pk=actions.queue_id,
                                         is_active=True).first()
            if queue is not None:
                cases_move_to_queue(ids, queue)
                parts.append(f"moved to {queue.name}, unassigned")
        message = f"Escalated by rule “{rule.name}”" + (
            f": {', '.join(parts)}." if parts else ".")
        timeline_write(
            event_of(tenant_id=rule.tenant_id, case_id=pk, kind=EventKind.ESCALATED, now=now,
                     message=message, new_value={"rule_id": rule.pk, "rule": rule.name})
            for pk in ids)
        recipients = _recipients(actions.notify, rule.tenant_id, rows)
        prefix = rule.tenant.case_prefix
        notices_write((
            Notice(tenant_id=rule.tenant_id, recipient_id=user_id, case_id=pk,
                   kind=NotificationKind.ESCALATION, message=f"{prefix}-{number}: {message}")
            for pk, _owner, _priority, number in rows for user_id in recipients.get(pk, ())
        ), now)
        done.append(Escalated(rule=rule.name, cases=len(ids)))
    return done


def _recipients(targets: tuple[str, ...], tenant_id: int, rows: list[tuple[Any, ...]]
                ) -> dict[int, list[int]]:
    everyone: list[int] = []
    if "managers" in targets:
        everyone += list(Membership.objects.filter(tenant_id=tenant_id, role=Role.MANAGER,
                                                   is_active=True)
                         .values_list("user_id", flat=True))
    if "admins" in targets:
        everyone += list(Membership.objects.filter(tenant_id=tenant_id, role=Role.ADMIN,
                                                   is_active=True)
                         .values_list("user_id", flat=True))
    named = [int(t[5:]) for t in targets if t.startswith("user:")]
    if named:
        everyone += list(Membership.objects.filter(tenant_id=tenant_id, user_id__in=named,
                                                   is_active=True)
                         .values_list("user_id", flat=True))
    managers: dict[int, int] = {}
    if "owner_manager" in targets:
        owners = {r[1] for r in rows if r[1] is not None}
        managers = {m.user_id: m.manager.user_id for m in Membership.objects.filter(
            tenant_id=tenant_id, user_id__in=owners, manager__isnull=False
        ).select_related("manager") if m.manager is not None}
    result: dict[int, list[int]] = {}
    for pk, owner_id, _priority, _number in rows:
        people = list(everyone)
        if "owner" in targets and owner_id is not None:
            people.append(owner_id)
        if owner_id in managers:
            people.append(managers[owner_id])
        result[pk] = list(dict.fromkeys(people))
    return result
