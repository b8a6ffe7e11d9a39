"""The routing-rule form: what the browser sent turned into a `RuleInput`, and a stored rule
turned back into the form's rows.

The form is plain HTML that works without JavaScript: every condition row is a set of inputs
named `c-<n>-field`, `c-<n>-key` (the key of a `custom.<key>` field), `c-<n>-op` and
`c-<n>-value`; the submit buttons say what to do with it (`action`: save, add, remove:<n>,
preview). Only the shape is handled here — whether the rule makes sense is decided by
`routing.services`, whose `Invalid` names the condition at fault.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from casedesk.routing.models import RoutingRule
from casedesk.routing.rules import (
    ALL_OPERATORS,
    ANY,
    CUSTOM_PREFIX,
    FIELDS,
    ID,
    MAX_CONDITIONS,
    OPERATORS,
    PRIORITY_NAMES,
    field_kind,
)
from casedesk.routing.services import RuleInput

CUSTOM = "custom"  # the field select's value for custom.<key>
MAX_ROWS = MAX_CONDITIONS + 5  # a little room, so the service (not the form) says "at most"
_ROW_FIELD = re.compile(r"^c-(\d{1,3})-field$")
_CONDITION = re.compile(r"^condition (\d+):")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
LIST_OPERATORS = ("in", "not_in")
NO_VALUE_OPERATORS = ("is_empty", "is_set")

FIELD_LABELS: dict[str, str] = {
    "category": "Category",
    "subcategory": "Subcategory",
    "type": "Type",
    "source": "Source",
    "language": "Language",
    "priority": "Priority",
    "subject": "Subject",
    "description": "Description",
    "text": "Subject or description",
    "tags": "Tags",
    "account.id": "Account (id)",
    "account.name": "Account name",
    "account.tier": "Account tier",
    "account.segment": "Account segment",
    "account.territory": "Account territory",
    "contact.id": "Contact (id)",
    "contact.email": "Contact email",
    "contact.domain": "Contact email domain",
}
OPERATOR_LABELS: dict[str, str] = {
    "equals": "is",
    "not_equals": "is not",
    "in": "is one of",
    "not_in": "is not one of",
    "contains": "contains",
    "not_contains": "does not contain",
    "gt": "is more than",
    "lt": "is less than",
    "gte": "is at least",
    "lte": "is at most",
    "is_empty": "is empty",
    "is_set": "is set",
}
PRIORITY_BY_NUMBER = {number: name for name, number in PRIORITY_NAMES.items()}


def field_choices() -> list[tuple[str, str]]:
    """The field select: the built-in fields, then "Custom field…" (its key typed beside)."""
    return [(name, FIELD_LABELS.get(name, name)) for name in FIELDS] + [
        (CUSTOM, "Custom field…")]


def operator_choices() -> list[tuple[str, str]]:
    return [(op, OPERATOR_LABELS.get(op, op)) for op in ALL_OPERATORS]


def operators_by_field() -> dict[str, list[str]]:
    """For the page script, which narrows the operator select to what a field takes."""
    ops = {name: list(OPERATORS[kind]) for name, kind in FIELDS.items()}
    ops[CUSTOM] = list(OPERATORS[ANY])
    return ops


@dataclass
class ConditionRow:
    """One condition as the form shows it: the values as typed."""

    field: str = "category"
    key: str = ""
    op: str = "equals"
    value: str = ""
    has_error: bool = False

    @property
    def name(self) -> str:
        """The condition's field as the rules read it (`custom.<key>` for custom fields)."""
        return f"{CUSTOM_PREFIX}{self.key.strip()}" if self.field == CUSTOM else self.field

    def condition(self) -> dict[str, Any]:
        return {"field": self.name, "op": self.op, "value": _value(self.name, self.op,
                                                                   self.value)}


@dataclass
class RuleDraft:
    """The whole form, as typed (or as stored, when an existing rule is opened)."""

    name: str = ""
    match: str = RoutingRule.Match.ALL
    is_enabled: bool = True
    rows: list[ConditionRow] = field(default_factory=list)
    queue: str = ""
    owner: str = ""
    priority: str = ""
    tags: str = ""

    def rule_input(self) -> RuleInput:
        actions: dict[str, Any] = {}
        for name, raw in (("queue_id", self.queue), ("owner_id", self.owner)):
            raw = raw.strip()
            if raw:
                actions[name] = int(raw) if raw.isdecimal() and len(raw) < 19 else raw
        if self.priority.strip():
            actions["priority"] = self.priority.strip()
        tags = split_list(self.tags)
        if tags:
            actions["tags"] = tags
        return RuleInput(name=self.name, match=self.match, is_enabled=self.is_enabled,
                         conditions=[row.condition() for row in self.rows], actions=actions)

    def mark_error(self, message: str) -> None:
        mark_row_error(self.rows, message)


def mark_row_error(rows: list[ConditionRow], message: str) -> None:
    """Highlights the condition row an `Invalid` message names ("condition 2: …")."""
    found = _CONDITION.match(message)
    if found and 0 < int(found.group(1)) <= len(rows):
        rows[int(found.group(1)) - 1].has_error = True


def split_list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _scalar(name: str, op: str, text: str) -> Any:
    """A typed value in the type the rules compare: record ids as integers, and for custom
    fields numbers as numbers and true/false as booleans (custom values are stored typed)."""
    kind = field_kind(name)
    text = text.strip()
    if kind == ID and text.isdecimal() and len(text) < 19:
        return int(text)
    if kind == ANY and op not in ("contains", "not_contains"):
        if _NUMBER.match(text) and len(text) < 19:
            return float(text) if "." in text else int(text)
        if op in ("equals", "not_equals", "in", "not_in") and text.lower() in ("true", "false"):
            return text.lower() == "true"
    return text


def _value(name: str, op: str, text: str) -> Any:
    """The value as the rules take it: a list for "is one of", and for "contains" when
    several values are given ("contains any of"); nothing for "is empty" and "is set"."""
    if op in NO_VALUE_OPERATORS:
        return None
    if op in LIST_OPERATORS or (op in ("contains", "not_contains") and "," in text):
        return [_scalar(name, op, part) for part in split_list(text)]
    return _scalar(name, op, text)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _row_of(condition: dict[str, Any]) -> ConditionRow:
    name = str(condition.get("field") or "")
    op = str(condition.get("op") or "")
    value = condition.get("value")
    if name == "priority":
        if isinstance(value, list):
            value = [PRIORITY_BY_NUMBER.get(v, v) if isinstance(v, int) else v for v in value]
        elif isinstance(value, int):
            value = PRIORITY_BY_NUMBER.get(value, value)
    if name.startswith(CUSTOM_PREFIX):
        return ConditionRow(field=CUSTOM, key=name[len(CUSTOM_PREFIX):], op=op,
                            value=_shown(value))
    return ConditionRow(field=name, op=op, value=_shown(value))


def rows_of_conditions(conditions: Any) -> list[ConditionRow]:
    """Stored conditions (routing rules' or SLA policies') as the form's rows."""
    if not isinstance(conditions, list):
        return []
    return [_row_of(c) for c in conditions if isinstance(c, dict)]


def draft_of_rule(rule: RoutingRule) -> RuleDraft:
    actions = rule.actions if isinstance(rule.actions, dict) else {}
    priority = actions.get("priority")
    return RuleDraft(
        name=rule.name, match=rule.match, is_enabled=rule.is_enabled,
        rows=rows_of_conditions(rule.conditions),
        queue=_shown(actions.get("queue_id")), owner=_shown(actions.get("owner_id")),
        priority=PRIORITY_BY_NUMBER.get(priority, "") if isinstance(priority, int) else "",
        tags=", ".join(actions.get("tags") or []),
    )


def rows_of_post(post: QueryDict) -> list[ConditionRow]:
    """The condition rows as sent, in the order of their numbers, whatever the numbers are."""
    indexes = sorted(int(m.group(1)) for key in post
                     if (m := _ROW_FIELD.match(key)) is not None)[:MAX_ROWS]
    return [ConditionRow(field=post.get(f"c-{i}-field", "").strip(),
                         key=post.get(f"c-{i}-key", "")[:60],
                         op=post.get(f"c-{i}-op", "").strip(),
                         value=post.get(f"c-{i}-value", "")[:10_000])
            for i in indexes]


def edit_rows(rows: list[ConditionRow], action: str, row: int | None, *,
              new_row: Callable[[], ConditionRow] = ConditionRow) -> int | None:
    """Applies the form's own buttons to its rows: "add" appends `new_row()` (returning its
    index, to focus it), "remove" drops row `row`."""
    if action == "add":
        if len(rows) < MAX_ROWS:
            rows.append(new_row())
        return len(rows) - 1
    if action == "remove" and row is not None and row < len(rows):
        del rows[row]
    return None


def draft_of_post(post: QueryDict) -> RuleDraft:
    """The form as sent."""
    return RuleDraft(
        name=post.get("name", "")[:300], match=post.get("match", RoutingRule.Match.ALL),
        is_enabled=bool(post.get("is_enabled")), rows=rows_of_post(post),
        queue=post.get("queue", ""), owner=post.get("owner", ""),
        priority=post.get("priority", ""), tags=post.get("tags", "")[:2_000],
    )


def form_action(post: QueryDict) -> tuple[str, int | None]:
    """What the pressed button asks: ("save"|"add"|"preview"|"remove", row number)."""
    action = (post.get("action") or "save").strip()
    if action.startswith("remove:"):
        raw = action.removeprefix("remove:")
        return ("remove", int(raw)) if raw.isdecimal() and len(raw) < 4 else ("save", None)
    if action in ("add", "preview"):
        return action, None
    return "save", None


def describe_condition(condition: dict[str, Any]) -> str:
    """A stored condition in words, for the rules list: "Category is Billing"."""
    row = _row_of(condition)
    label = (f"Custom field {row.key}" if row.field == CUSTOM
             else FIELD_LABELS.get(row.field, row.field))
    op = OPERATOR_LABELS.get(row.op, row.op)
    return f"{label} {op}" if row.op in NO_VALUE_OPERATORS else f"{label} {op} {row.value}"
