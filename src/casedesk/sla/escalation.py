"""Escalation rules: conditions on a case's age, idleness, priority, status, queue and
breaches, turned into one set-based filter per rule; and what the rule then does.

`parse_conditions`/`parse_actions` check what an admin wrote; `case_filter` is the rule as a
queryset filter at `now`; `escalate` applies the enabled rules of a tenant (or of all
tenants) in one pass, once per rule and case. The breach sweep calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q

from casedesk.core.errors import Invalid
from casedesk.routing.rules import PRIORITY_NAMES

MAX_HOURS = 24 * 365
NOTIFY_TARGETS = ("owner", "owner_manager", "managers", "admins")
BREACH_VALUES = ("first_response", "resolution", "any")
STATUSES = ("new", "open", "in_progress", "pending_customer")

FIELDS: dict[str, tuple[str, ...]] = {
    "age_hours": ("gt", "gte"),
    "idle_hours": ("gt", "gte"),
    "priority": ("equals", "in", "gte", "lte"),
    "status": ("equals", "in"),
    "queue_id": ("equals", "in", "is_empty"),
    "owner_id": ("is_empty", "is_set"),
    "breached": ("equals",),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Actions:
    notify: tuple[str, ...] = ()
    queue_id: int | None = None
    raise_priority: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.notify:
            out["notify"] = list(self.notify)
        if self.queue_id is not None:
            out["queue_id"] = self.queue_id
        if self.raise_priority:
            out["raise_priority"] = True
        return out


def _hours(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            0 < value <= MAX_HOURS):
        raise Invalid(f"{where}: hours are a number between 0 and {MAX_HOURS}.",
                      field="conditions")
    return float(value)


def _priority(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().lower() in PRIORITY_NAMES:
        return PRIORITY_NAMES[value.strip().lower()]
    # Stored rules hold the rung (what this function returned when the rule was saved), and
    # are parsed again by every sweep and every change of the rule.
    if isinstance(value, int) and not isinstance(value, bool) and (
            value in PRIORITY_NAMES.values()):
        return value
    raise Invalid(f"{where}: a priority is one of {', '.join(PRIORITY_NAMES)}.",
                  field="conditions")


def parse_condition(raw: Any, index: int) -> Condition:
    where = f"condition {index + 1}"
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where}: expected an object with field, op and value.",
                      field="conditions")
    name, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    if not isinstance(name, str) or name not in FIELDS:
        raise Invalid(f"{where}: unknown field {name!r}; one of {', '.join(FIELDS)}.",
                      field="conditions")
    if op not in FIELDS[name]:
        raise Invalid(f"{where}: {name} takes the operators {', '.join(FIELDS[name])}.",
                      field="conditions")
    if op in ("is_empty", "is_set"):
        return Condition(name, op)
    if op == "in" and (not isinstance(value, list) or not 0 < len(value) <= 50):
        raise Invalid(f"{where}: in needs a list of values.", field="conditions")
    values: list[Any] = value if isinstance(value, list) and op == "in" else [value]
    if name in ("age_hours", "idle_hours"):
        return Condition(name, op, _hours(value, where))
    if name == "priority":
        parsed = tuple(_priority(v, where) for v in values)
        return Condition(name, op, parsed if op == "in" else parsed[0])
    if name == "status":
        if not all(v in STATUSES for v in values):
            raise Invalid(f"{where}: a status is one of {', '.join(STATUSES)}.",
                          field="conditions")
        return Condition(name, op, tuple(values) if op == "in" else value)
    if name == "breached":
        if value not in BREACH_VALUES:
            raise Invalid(f"{where}: breached is one of {', '.join(BREACH_VALUES)}.",
                          field="conditions")
        return Condition(name, op, value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise Invalid(f"{where}: queue ids are integers.", field="conditions")
    return Condition(name, op, tuple(values) if op == "in" else value)


def parse_conditions(raw: Any) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("An escalation rule needs at least one condition.", field="conditions")
    if len(raw) > 20:
        raise Invalid("A rule has at most 20 conditions.", field="conditions")
    return tuple(parse_condition(c, i) for i, c in enumerate(raw))


def parse_actions(raw: Any) -> Actions:
    if not isinstance(raw, Mapping):
        raise Invalid("actions must be an object.", field="actions")
    unknown = set(raw) - {"notify", "queue_id", "raise_priority"}
    if unknown:
        raise Invalid(f"Unknown action {sorted(unknown)[0]!r}; actions are notify, queue_id "
                      "and raise_priority.", field="actions")
    notify = raw.get("notify") or []
    if not isinstance(notify, list) or not all(isinstance(n, str) for n in notify):
        raise Invalid("notify is a list such as [\"owner_manager\", \"user:12\"].",
                      field="actions")
    for target in notify:
        if target not in NOTIFY_TARGETS and not (
                target.startswith("user:") and target[5:].isascii() and target[5:].isdecimal()
                and len(target) < 24):
            raise Invalid(f"Unknown notify target {target!r}; one of "
                          f"{', '.join(NOTIFY_TARGETS)} or user:<id>.", field="actions")
    queue_id = raw.get("queue_id")
    if queue_id is not None and (isinstance(queue_id, bool) or not isinstance(queue_id, int)):
        raise Invalid("queue_id must be an id.", field="actions")
    raise_priority = raw.get("raise_priority", False)
    if not isinstance(raise_priority, bool):
        raise Invalid("raise_priority is true or false.", field="actions")
    actions = Actions(notify=tuple(dict.fromkeys(notify)), queue_id=queue_id,
                      raise_priority=raise_priority)
    if not actions.as_dict():
        raise Invalid("A rule needs at least one action: notify, queue_id or raise_priority.",
                      field="actions")
    return actions


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
    from casedesk.sla.models import EscalationHit

    return Exists(EscalationHit.objects.filter(rule_id=rule_id, case_id=OuterRef("pk")))


@dataclass
class Escalated:
    rule: str
    cases: int


def escalate(*, now: datetime, tenant_id: int | None = None) -> list[Escalated]:
    """Applies every enabled escalation rule (of one tenant, or all) to the open cases it
    matches and has not escalated before."""
    from casedesk.cases.models import (
        OPEN_STATUS_VALUES,
        Case,
        EventKind,
        Priority,
        TimelineEvent,
    )
    from casedesk.notifications.models import Notification, NotificationKind
    from casedesk.routing.models import Queue
    from casedesk.sla.models import EscalationHit, EscalationRule

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
            Case.objects.filter(pk__in=ids, priority__lt=Priority.URGENT).update(
                priority=F("priority") + 1)
            parts.append("priority raised one rung")
        if actions.queue_id is not None:
            queue = Queue.objects.filter(tenant_id=rule.tenant_id, pk=actions.queue_id,
                                         is_active=True).first()
            if queue is not None:
                Case.objects.filter(pk__in=ids).update(queue=queue, owner=None)
                parts.append(f"moved to {queue.name}, unassigned")
        message = f"Escalated by rule “{rule.name}”" + (
            f": {', '.join(parts)}." if parts else ".")
        TimelineEvent.objects.bulk_create([
            TimelineEvent(tenant_id=rule.tenant_id, case_id=pk, kind=EventKind.ESCALATED,
                          created_at=now, message=message,
                          new_value={"rule_id": rule.pk, "rule": rule.name})
            for pk in ids], batch_size=2000)
        recipients = _recipients(actions.notify, rule.tenant_id, rows)
        prefix = rule.tenant.case_prefix
        Notification.objects.bulk_create([
            Notification(tenant_id=rule.tenant_id, recipient_id=user_id, case_id=pk,
                         kind=NotificationKind.ESCALATION, created_at=now,
                         message=f"{prefix}-{number}: {message}"[:500])
            for pk, _owner, _priority, number in rows for user_id in recipients.get(pk, ())
        ], batch_size=2000)
        done.append(Escalated(rule=rule.name, cases=len(ids)))
    return done


def _recipients(targets: tuple[str, ...], tenant_id: int, rows: list[tuple[Any, ...]]
                ) -> dict[int, list[int]]:
    from casedesk.tenancy.models import Membership, Role

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
