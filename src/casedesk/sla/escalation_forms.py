"""The escalation-rule form: what the browser sent turned into the values
`escalation_rule_save` takes, and a stored rule turned back into the form.

Conditions are rows over the fields of `sla.escalation.FIELDS`, named as the routing form
names its rows (`c-<n>-field`, `c-<n>-op`, `c-<n>-value`); values are typed as people think
of them (queue names, "in progress", "first response") and turned into what the rules store.
Whether the rule makes sense is the service's to decide: its `Invalid` names the condition at
fault.
"""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.routing.forms import TypedText, split_list
from casedesk.routing.words import NO_VALUE_OPERATORS, OPERATOR_LABELS, ConditionRow
from casedesk.sla.escalation import BREACH_VALUES, FIELDS, NOTIFY_TARGETS, STATUSES
from casedesk.sla.forms import ConditionsField, ConditionsForm, PickedField, condition_rows
from casedesk.sla.models import EscalationRule
from casedesk.sla.words import (
    ESCALATION_FIELD_LABELS,
    escalation_value_text,
)

_NUMBER = re.compile(r"^\d{1,6}(\.\d{1,4})?$")


def field_choices() -> list[tuple[str, str]]:
    return [(name, ESCALATION_FIELD_LABELS.get(name, name)) for name in FIELDS]


def operator_choices() -> list[tuple[str, str]]:
    ops = dict.fromkeys(op for allowed in FIELDS.values() for op in allowed)
    return [(op, OPERATOR_LABELS.get(op, op)) for op in ops]


def operators_by_field() -> dict[str, list[str]]:
    return {name: list(ops) for name, ops in FIELDS.items()}


def suggestions(queue_names: list[str]) -> dict[str, list[str]]:
    """Value suggestions (datalists) per field."""
    return {"priority": list(PRIORITY_BY_RUNG.values()), "status": list(STATUSES),
            "queue_id": queue_names, "breached": list(BREACH_VALUES),
            "age_hours": ["4", "24", "48"], "idle_hours": ["4", "24", "48"]}


def new_row() -> ConditionRow:
    return ConditionRow(field="age_hours", op="gt")


# --- typed text to stored values -------------------------------------------------------------

def _word(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _queue_id(text: str, queues: dict[str, int], where: str) -> Any:
    text = text.strip()
    if text.isdecimal() and len(text) < 19:
        return int(text)
    if text.casefold() in queues:
        return queues[text.casefold()]
    raise ValidationError(f"{where}: there is no queue named {text!r}.")


def _one(name: str, text: str, queues: dict[str, int], where: str) -> Any:
    if name in ("age_hours", "idle_hours"):
        text = text.strip()
        if not _NUMBER.match(text):
            raise ValidationError(f"{where}: hours are a number, such as 4 or 1.5.")
        return float(text) if "." in text else int(text)
    if name == "queue_id":
        return _queue_id(text, queues, where)
    if name == "breached":
        word = _word(text)
        return {"first": "first_response", "any_target": "any"}.get(word, word)
    if name in ("status", "priority"):
        return _word(text)
    return text.strip()


def condition_of_row(row: ConditionRow, index: int, queues: dict[str, int]) -> dict[str, Any]:
    """One row as the rule stores it; `queues` maps queue names (case-folded) to ids."""
    where = f"condition {index + 1}"
    if row.op in NO_VALUE_OPERATORS:
        return {"field": row.field, "op": row.op, "value": None}
    if row.op == "in":
        return {"field": row.field, "op": row.op,
                "value": [_one(row.field, part, queues, where) for part in split_list(row.value)]}
    return {"field": row.field, "op": row.op, "value": _one(row.field, row.value, queues, where)}


def row_of_condition(condition: dict[str, Any], queues: dict[int, str]) -> ConditionRow:
    """A stored condition as its row shows it (priorities and queues by name)."""
    name = str(condition.get("field") or "")
    return ConditionRow(field=name, op=str(condition.get("op") or ""),
                        value=escalation_value_text(name, condition.get("value"), queues))


# --- the whole form --------------------------------------------------------------------------

def _is_id(text: str) -> bool:
    return text.isdecimal() and len(text) < 19


class EscalationRuleForm(ConditionsForm):
    """An escalation rule as typed (or as stored, when an existing rule is opened)."""

    # The service names the actions as one field; the form's queue stands for them.
    service_fields = {"actions": "queue"}

    name = TypedText(clip=300)
    is_enabled = forms.BooleanField(required=False)
    notify = PickedField(keep=lambda value: value in NOTIFY_TARGETS)
    notify_user = PickedField(keep=_is_id, limit=100)
    queue = TypedText(clip=20, strip=True)
    raise_priority = forms.BooleanField(required=False)
    conditions = ConditionsField()

    def __init__(self, data: Any = None, *, rule: EscalationRule | None = None,
                 queue_names: dict[int, str] | None = None,
                 queue_ids: dict[str, int] | None = None) -> None:
        """`queue_names` (id -> name) shows a stored rule's queues by name; `queue_ids`
        (case-folded name -> id) reads the queues typed in the conditions."""
        self.queue_ids = queue_ids or {}
        if rule is None:
            initial: dict[str, Any] = {"is_enabled": True, "notify": ["owner_manager"]}
            stored = [new_row()]
        else:
            actions = rule.actions if isinstance(rule.actions, dict) else {}
            notify = [t for t in actions.get("notify") or [] if isinstance(t, str)]
            queue_id = actions.get("queue_id")
            initial = {"name": rule.name, "is_enabled": rule.is_enabled,
                       "notify": [t for t in notify if t in NOTIFY_TARGETS],
                       "notify_user": [t[5:] for t in notify if t.startswith("user:")],
                       "queue": str(queue_id) if isinstance(queue_id, int) else "",
                       "raise_priority": bool(actions.get("raise_priority"))}
            stored = [row_of_condition(c, queue_names or {}) for c in rule.conditions or []
                      if isinstance(c, dict)]
        super().__init__(data, initial=initial)
        self.rows = condition_rows(data, stored)

    def clean_queue(self) -> int | None:
        raw: str = self.cleaned_data["queue"]
        if raw and not _is_id(raw):
            raise ValidationError("Choose the queue from the list.")
        return int(raw) if raw else None

    def clean_conditions(self) -> list[dict[str, Any]]:
        conditions = []
        for i, row in enumerate(self.rows):
            try:
                conditions.append(condition_of_row(row, i, self.queue_ids))
            except ValidationError:
                row.has_error = True
                raise
        return conditions

    def values(self) -> dict[str, Any]:
        """What `escalation_rule_save` takes."""
        data = self.cleaned_data
        actions: dict[str, Any] = {}
        notify = [n for n in NOTIFY_TARGETS if n in data["notify"]]
        notify += [f"user:{u}" for u in data["notify_user"]]
        if notify:
            actions["notify"] = notify
        if data["queue"] is not None:
            actions["queue_id"] = data["queue"]
        if data["raise_priority"]:
            actions["raise_priority"] = True
        return {"name": data["name"], "is_enabled": data["is_enabled"],
                "conditions": data["conditions"], "actions": actions}
