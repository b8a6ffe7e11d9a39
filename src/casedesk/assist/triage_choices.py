"""What the case page and the API make of the triage model's suggestions for a case: each
suggestion beside the case's current value ("agrees" when they are the same), and the
`changes` of `case_update` that applying one asks for.

Plain functions of their inputs, no query.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority

# The order the panel and the API list them in.
TARGETS = ("category", "subcategory", "type", "priority", "queue")
TARGET_LABELS = {
    "category": "Category",
    "subcategory": "Subcategory",
    "type": "Type",
    "priority": "Priority",
    "queue": "Queue",
}


@dataclass(frozen=True)
class SuggestionRow:
    """One suggestion as it is shown: the target, the suggested value (a queue's id as text)
    and how it reads (a queue's name), the model's confidence, and whether the case already
    carries it. A subcategory comes with the category it belongs to."""

    target: str
    value: str
    label: str
    confidence: float
    current: str
    agrees: bool
    category: str = ""

    @property
    def target_label(self) -> str:
        return TARGET_LABELS[self.target]

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def current_values(case: Any) -> dict[str, str]:
    """The case's values in the form the suggestions take (priority as its rung name, the
    queue as its id in text)."""
    return {
        "category": case.category or "",
        "subcategory": case.subcategory or "",
        "type": case.type or "",
        "priority": Priority(case.priority).label,
        "queue": str(case.queue_id) if case.queue_id is not None else "",
    }


def _same(target: str, current: str, value: str) -> bool:
    if target == "queue":
        return current == value
    return current.casefold() == value.casefold()


def suggestion_rows(
    current: Mapping[str, str], suggestions: Mapping[str, Any]
) -> list[SuggestionRow]:
    """The suggestions (target → an object with value, label and confidence) in the
    panel's order, each marked whether the case already agrees."""
    rows = []
    suggested_category = getattr(suggestions.get("category"), "value", "")
    for target in TARGETS:
        found = suggestions.get(target)
        if found is None or not found.value:
            continue
        have = current.get(target, "")
        parent = suggested_category if target == "subcategory" else ""
        agrees = _same(target, have, found.value) and (
            not parent or _same("category", current.get("category", ""), parent)
        )
        rows.append(
            SuggestionRow(
                target=target,
                value=found.value,
                label=found.label or found.value,
                confidence=float(found.confidence),
                current=have,
                agrees=agrees,
                category=parent,
            )
        )
    return rows


def changes_for(
    target: str, value: str, *, current_category: str, category: str = ""
) -> dict[str, Any]:
    """The `case_update` changes that apply a suggestion, or Invalid for a target or value
    that is none. A new category clears the subcategory (it belonged to the old one); a
    subcategory given with its `category` sets that category too when the case has another.
    The services check the values against the tenant's picklists and records as for any
    edit."""
    value = value.strip()
    if target not in TARGETS:
        raise Invalid(f"No suggestion for {target!r}; one of {', '.join(TARGETS)}.", field="target")
    if not value:
        raise Invalid("The suggestion has no value.", field="value")
    if target == "category":
        if value.casefold() == current_category.casefold():
            return {"category": current_category}
        return {"category": value, "subcategory": ""}
    category = category.strip()
    if target == "subcategory" and category and category.casefold() != current_category.casefold():
        return {"category": category, "subcategory": value}
    if target == "priority":
        try:
            return {"priority": Priority.from_name(value.lower())}
        except ValueError:
            raise Invalid("A priority is low, normal, high or urgent.", field="value") from None
    if target == "queue":
        if not value.isdecimal() or len(value) > 18:
            raise Invalid("A queue is given by its id.", field="value")
        return {"queue_id": int(value)}
    return {target: value}


@dataclass(frozen=True)
class ScoreRow:
    """One target's measurement in a training run, as the admins' page shows it."""

    target: str
    accuracy: float
    baseline: float
    classes: int
    usable: bool

    @property
    def target_label(self) -> str:
        return TARGET_LABELS.get(self.target, self.target)

    @property
    def accuracy_percent(self) -> str:
        return f"{self.accuracy * 100:.1f}"

    @property
    def baseline_percent(self) -> str:
        return f"{self.baseline * 100:.1f}"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def score_rows(scores: Any) -> list[ScoreRow]:
    """A run's stored scores ({target: {accuracy, baseline, classes, usable}}) in the
    panel's order, targets the run did not measure left out."""
    if not isinstance(scores, Mapping):
        return []
    rows = []
    for target in [*TARGETS, *sorted(set(scores) - set(TARGETS))]:
        found = scores.get(target)
        if not isinstance(found, Mapping):
            continue
        rows.append(
            ScoreRow(
                target=str(target),
                accuracy=_number(found.get("accuracy")),
                baseline=_number(found.get("baseline")),
                classes=int(_number(found.get("classes"))),
                usable=found.get("usable") is True,
            )
        )
    return rows
