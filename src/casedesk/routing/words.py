"""The condition language told to people: the labels of fields and operators, a stored
condition as a form row shows it and as a sentence, a rule's actions in words.

Plain functions of their inputs, no query. Routing rules and SLA policies share the language
(`routing.rules`), so their forms and lists share these words too.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.routing.rules import (
    ALL_OPERATORS,
    ANY,
    CUSTOM_PREFIX,
    FIELDS,
    OPERATORS,
    Prediction,
    predicted,
)

CUSTOM = "custom"  # the field select's value for custom.<key>
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
    "predicted.category": "Predicted category",
    "predicted.subcategory": "Predicted subcategory",
    "predicted.type": "Predicted type",
    "predicted.priority": "Predicted priority",
    "predicted.queue": "Predicted queue (name)",
    "predicted.category_confidence": "Predicted category's confidence (0–1)",
    "predicted.subcategory_confidence": "Predicted subcategory's confidence (0–1)",
    "predicted.type_confidence": "Predicted type's confidence (0–1)",
    "predicted.priority_confidence": "Predicted priority's confidence (0–1)",
    "predicted.queue_confidence": "Predicted queue's confidence (0–1)",
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


def field_choices(fields: Mapping[str, str] = FIELDS) -> list[tuple[str, str]]:
    """The field select: the built-in fields, then "Custom field…" (its key typed beside)."""
    return [(name, FIELD_LABELS.get(name, name)) for name in fields] + [
        (CUSTOM, "Custom field…")]


def operator_choices() -> list[tuple[str, str]]:
    return [(op, OPERATOR_LABELS.get(op, op)) for op in ALL_OPERATORS]


def operators_by_field(fields: Mapping[str, str] = FIELDS) -> dict[str, list[str]]:
    """For the page script, which narrows the operator select to what a field takes."""
    ops = {name: list(OPERATORS[kind]) for name, kind in fields.items()}
    ops[CUSTOM] = list(OPERATORS[ANY])
    return ops


@dataclass
class ConditionRow:
    """One condition as its form row shows it: the values as typed (or as stored, shown the
    way they would be typed), and whether the refusal being shown names it."""

    field: str = "category"
    key: str = ""
    op: str = "equals"
    value: str = ""
    has_error: bool = False

    @property
    def name(self) -> str:
        """The condition's field as the rules read it (`custom.<key>` for custom fields)."""
        return f"{CUSTOM_PREFIX}{self.key.strip()}" if self.field == CUSTOM else self.field


def shown(value: Any) -> str:
    """A stored value as it would be typed: lists comma-separated, booleans true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    return str(value)


def row_of_condition(condition: dict[str, Any]) -> ConditionRow:
    name = str(condition.get("field") or "")
    op = str(condition.get("op") or "")
    value = condition.get("value")
    if name == "priority":  # stored as rungs; typed as names
        if isinstance(value, list):
            value = [PRIORITY_BY_RUNG.get(v, v) if isinstance(v, int) else v for v in value]
        elif isinstance(value, int):
            value = PRIORITY_BY_RUNG.get(value, value)
    if name.startswith(CUSTOM_PREFIX):
        return ConditionRow(field=CUSTOM, key=name[len(CUSTOM_PREFIX):], op=op,
                            value=shown(value))
    return ConditionRow(field=name, op=op, value=shown(value))


def rows_of_conditions(conditions: Any) -> list[ConditionRow]:
    """Stored conditions (routing rules' or SLA policies') as the form's rows."""
    if not isinstance(conditions, list):
        return []
    return [row_of_condition(c) for c in conditions if isinstance(c, dict)]


def describe_condition(condition: dict[str, Any]) -> str:
    """A stored condition in words, for the lists: "Category is Billing"."""
    row = row_of_condition(condition)
    label = (f"Custom field {row.key}" if row.field == CUSTOM
             else FIELD_LABELS.get(row.field, row.field))
    op = OPERATOR_LABELS.get(row.op, row.op)
    return f"{label} {op}" if row.op in NO_VALUE_OPERATORS else f"{label} {op} {row.value}"


def predictions_in_words(predictions: Mapping[str, Prediction], targets: tuple[str, ...]
                         ) -> str:
    """What the model predicted for the targets a rule tests, for the rule's try-out:
    "category Billing 91% · queue Finance 55%" ("nothing predicted" without a model)."""
    parts = []
    for target in targets:
        value = predicted(predictions, f"predicted.{target}")
        if value is not None:
            confidence = predicted(predictions, f"predicted.{target}_confidence")
            parts.append(f"{target} {value} {round(confidence * 100)}%")
    return " · ".join(parts) or "nothing predicted"


def actions_in_words(actions: dict[str, Any], queues: dict[int, str],
                     members: dict[int, str]) -> list[str]:
    """A rule's actions in words ("Queue Finance", "Priority urgent"), with the names of
    the tenant's queues and members by id."""
    words = []
    if actions.get("queue_id") is not None:
        words.append(f"Queue {queues.get(actions['queue_id'], '(deleted queue)')}")
    if actions.get("owner_id") is not None:
        words.append(f"Owner {members.get(actions['owner_id'], '(former member)')}")
    if actions.get("priority") is not None:
        words.append(f"Priority {PRIORITY_BY_RUNG.get(actions['priority'], '?')}")
    if actions.get("tags"):
        words.append(f"Tags {', '.join(actions['tags'])}")
    return words
