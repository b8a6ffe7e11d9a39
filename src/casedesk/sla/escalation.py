"""Escalation rules: conditions on a case's age, idleness, priority, status, queue and
breaches, and what the rule then does (notify, move to a queue, raise the priority).

`parse_conditions`/`parse_actions` check what an admin wrote; `escalation_rule_save` and
`escalation_rule_delete` keep the rules. Applying them to cases is a change of cases, so it
lives in `cases.escalation`, which the breach sweep calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.core.errors import Invalid
from casedesk.core.limits import check_fits
from casedesk.core.priority import parse_priority
from casedesk.core.text import check_json_text
from casedesk.routing.models import Queue
from casedesk.sla.calendars import clean_name
from casedesk.sla.models import EscalationRule
from casedesk.tenancy.audit import audit_change, audit_deleted, audit_snapshot, updated_action
from casedesk.tenancy.models import Membership, Tenant, User

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
        parsed = tuple(parse_priority(v, where, field="conditions") for v in values)
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


AUDITED = ("name", "conditions", "actions", "is_enabled")


def escalation_rule_save(*, tenant: Tenant, values: dict[str, Any], now: datetime,
                         rule: EscalationRule | None = None,
                         actor: User | None = None) -> EscalationRule:
    """Creates (rule=None) or changes an escalation rule, checked first; audited."""
    merged: dict[str, Any] = {"name": rule.name, "conditions": rule.conditions,
                              "actions": rule.actions,
              "is_enabled": rule.is_enabled} if rule is not None else {"is_enabled": True}
    merged.update(values)
    name = clean_name(merged.get("name"), "name")
    if not name:
        raise Invalid("A rule needs a name.", field="name")
    check_fits(EscalationRule, {"name": name})
    check_json_text(merged.get("conditions"), field="conditions", label="A condition")
    check_json_text(merged.get("actions"), field="actions", label="An action")
    conditions = parse_conditions(merged.get("conditions"))
    actions = parse_actions(merged.get("actions"))
    if actions.queue_id is not None and not Queue.objects.filter(
            tenant=tenant, pk=actions.queue_id, is_active=True).exists():
        raise Invalid(f"No active queue with id {actions.queue_id}.", field="actions")
    named = [int(t[5:]) for t in actions.notify if t.startswith("user:")]
    if named and Membership.objects.filter(tenant=tenant, user_id__in=named).count() != len(
            set(named)):
        raise Invalid("notify names a user who is not a member of this tenant.",
                      field="actions")
    with transaction.atomic():
        before = audit_snapshot(rule, AUDITED) if rule is not None else {}
        action = "escalation_rule.created"
        if rule is None:
            position = EscalationRule.objects.filter(tenant=tenant).count()
            rule = EscalationRule(tenant=tenant, created_at=now, position=position)
        rule.name = name
        rule.conditions = [{"field": c.field, "op": c.op,
                            "value": list(c.value) if isinstance(c.value, tuple) else c.value}
                           for c in conditions]
        rule.actions = actions.as_dict()
        rule.is_enabled = bool(merged.get("is_enabled", True))
        rule.updated_at = now
        rule.save()
        after = audit_snapshot(rule, AUDITED)
        if before:
            action = updated_action("escalation_rule", before, after)
        audit_change(tenant=tenant, actor=actor, action=action,
                     target_type="escalation_rule", target_id=rule.pk, target_label=rule.name,
                     before=before, after=after)
    return rule


def escalation_rule_delete(*, rule: EscalationRule, actor: User | None = None) -> None:
    """Deletes an escalation rule (and the record of which cases it escalated); audited."""
    with transaction.atomic():
        audit_deleted(tenant=rule.tenant_id, actor=actor, action="escalation_rule.deleted",
                      target_type="escalation_rule", target_id=rule.pk,
                      target_label=rule.name, values=audit_snapshot(rule, AUDITED))
        rule.delete()
