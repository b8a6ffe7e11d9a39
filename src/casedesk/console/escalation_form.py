"""The escalation-rule form: what the browser sent turned into the values
`sla.services.escalation_rule_save` takes, and a stored rule turned back into the form.

Conditions use the routing form's rows (`c-<n>-field`, `c-<n>-op`, `c-<n>-value`) over the
fields of `sla.escalation.FIELDS`; values are typed as people think of them (queue names,
"in progress", "first response") and turned into what the rules store here. Whether the rule
makes sense is the service's to decide: its `Invalid` names the condition at fault.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from casedesk.console.rule_form import (
    PRIORITY_BY_NUMBER,
    ConditionRow,
    mark_row_error,
    rows_of_post,
    split_list,
)
from casedesk.core.errors import Invalid
from casedesk.sla.escalation import BREACH_VALUES, FIELDS, NOTIFY_TARGETS, STATUSES
from casedesk.sla.models import EscalationRule

FIELD_LABELS = {
    "age_hours": "Age in hours",
    "idle_hours": "Hours without an update",
    "priority": "Priority",
    "status": "Status",
    "queue_id": "Queue",
    "owner_id": "Owner",
    "breached": "SLA breached",
}
OPERATOR_LABELS = {
    "gt": "is more than", "gte": "is at least", "lte": "is at most", "equals": "is",
    "in": "is one of", "is_empty": "is empty", "is_set": "is set",
}
BREACH_LABELS = {"first_response": "first response", "resolution": "resolution",
                 "any": "any target"}
NOTIFY_LABELS = {"owner": "The case's owner", "owner_manager": "The owner's manager",
                 "managers": "Every manager", "admins": "Every admin"}
NO_VALUE_OPERATORS = ("is_empty", "is_set")
_NUMBER = re.compile(r"^\d{1,6}(\.\d{1,4})?$")


def field_choices() -> list[tuple[str, str]]:
    return [(name, FIELD_LABELS.get(name, name)) for name in FIELDS]


def operator_choices() -> list[tuple[str, str]]:
    ops = dict.fromkeys(op for allowed in FIELDS.values() for op in allowed)
    return [(op, OPERATOR_LABELS.get(op, op)) for op in ops]


def operators_by_field() -> dict[str, list[str]]:
    return {name: list(ops) for name, ops in FIELDS.items()}


def suggestions(queue_names: list[str]) -> dict[str, list[str]]:
    """Value suggestions (datalists) per field."""
    return {"priority": list(PRIORITY_BY_NUMBER.values()), "status": list(STATUSES),
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
    raise Invalid(f"{where}: there is no queue named {text!r}.", field="conditions")


def _one(name: str, text: str, queues: dict[str, int], where: str) -> Any:
    if name in ("age_hours", "idle_hours"):
        text = text.strip()
        if not _NUMBER.match(text):
            raise Invalid(f"{where}: hours are a number, such as 4 or 1.5.", field="conditions")
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


# --- stored values to text -------------------------------------------------------------------

def _shown(name: str, value: Any, queues: dict[int, str]) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_shown(name, v, queues) for v in value)
    if value is None:
        return ""
    if name == "priority" and isinstance(value, int):
        return PRIORITY_BY_NUMBER.get(value, str(value))
    if name == "queue_id" and isinstance(value, int):
        return queues.get(value, str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def row_of_condition(condition: dict[str, Any], queues: dict[int, str]) -> ConditionRow:
    name = str(condition.get("field") or "")
    return ConditionRow(field=name, op=str(condition.get("op") or ""),
                        value=_shown(name, condition.get("value"), queues))


def condition_words(condition: dict[str, Any], queues: dict[int, str]) -> str:
    """A stored condition in words, for the rules list: "Age in hours is more than 48"."""
    name, op = str(condition.get("field") or ""), str(condition.get("op") or "")
    label = FIELD_LABELS.get(name, name)
    if op in NO_VALUE_OPERATORS:
        return f"{label} {OPERATOR_LABELS.get(op, op)}"
    value = condition.get("value")
    if name == "breached":
        return f"SLA breached: {BREACH_LABELS.get(str(value), str(value))}"
    if name == "status":
        values = value if isinstance(value, list) else [value]
        text = ", ".join(str(v).replace("_", " ") for v in values)
        return f"{label} {OPERATOR_LABELS.get(op, op)} {text}"
    return f"{label} {OPERATOR_LABELS.get(op, op)} {_shown(name, value, queues)}"


# --- the whole form --------------------------------------------------------------------------

@dataclass
class EscalationDraft:
    """The form as typed (or as stored, when an existing rule is opened)."""

    name: str = ""
    is_enabled: bool = True
    rows: list[ConditionRow] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)  # owner, owner_manager, managers, admins
    users: list[str] = field(default_factory=list)  # user ids, as text
    queue: str = ""
    raise_priority: bool = False

    def values(self, queues: dict[str, int]) -> dict[str, Any]:
        """What `escalation_rule_save` takes; `Invalid` for a value that cannot be read."""
        actions: dict[str, Any] = {}
        notify = [n for n in NOTIFY_TARGETS if n in self.notify]
        notify += [f"user:{u}" for u in self.users if u.isdecimal() and len(u) < 19]
        if notify:
            actions["notify"] = notify
        if self.queue.strip():
            raw = self.queue.strip()
            if not (raw.isdecimal() and len(raw) < 19):
                raise Invalid("Choose the queue from the list.", field="actions")
            actions["queue_id"] = int(raw)
        if self.raise_priority:
            actions["raise_priority"] = True
        return {"name": self.name, "is_enabled": self.is_enabled,
                "conditions": [condition_of_row(row, i, queues)
                               for i, row in enumerate(self.rows)],
                "actions": actions}

    def mark_error(self, message: str) -> None:
        mark_row_error(self.rows, message)


def draft_of_post(post: QueryDict) -> EscalationDraft:
    return EscalationDraft(
        name=post.get("name", "")[:300], is_enabled=bool(post.get("is_enabled")),
        rows=rows_of_post(post),
        notify=[n for n in post.getlist("notify") if n in NOTIFY_TARGETS],
        users=[u for u in post.getlist("notify_user") if u.isdecimal() and len(u) < 19][:100],
        queue=post.get("queue", "")[:20], raise_priority=bool(post.get("raise_priority")))


def draft_of_rule(rule: EscalationRule, queues: dict[int, str]) -> EscalationDraft:
    actions = rule.actions if isinstance(rule.actions, dict) else {}
    notify = [t for t in actions.get("notify") or [] if isinstance(t, str)]
    queue_id = actions.get("queue_id")
    return EscalationDraft(
        name=rule.name, is_enabled=rule.is_enabled,
        rows=[row_of_condition(c, queues) for c in rule.conditions or []
              if isinstance(c, dict)],
        notify=[t for t in notify if t in NOTIFY_TARGETS],
        users=[t[5:] for t in notify if t.startswith("user:")],
        queue=str(queue_id) if isinstance(queue_id, int) else "",
        raise_priority=bool(actions.get("raise_priority")))
