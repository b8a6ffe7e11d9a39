"""The four priority rungs, named once for every app: stored as integers so
`ORDER BY priority DESC` puts urgent first, named in the API, rules and pages."""

from typing import Any, Literal

from django.db import models

from casedesk.core.errors import Invalid


class Priority(models.IntegerChoices):
    LOW = 1, "low"
    NORMAL = 2, "normal"
    HIGH = 3, "high"
    URGENT = 4, "urgent"

    @classmethod
    def from_name(cls, name: str) -> "Priority":
        for member in cls:
            if member.label == name:
                return member
        raise ValueError(name)


PRIORITY_NAMES: dict[str, int] = {str(p.label): p.value for p in Priority}
PRIORITY_BY_RUNG: dict[int, str] = {p.value: str(p.label) for p in Priority}
# The names for the API's schemas; tests/core/test_priority.py holds it to `Priority`.
PriorityName = Literal["low", "normal", "high", "urgent"]
# A form's choice of priority, urgent first.
PRIORITY_CHOICES = [(str(p.label), str(p.label).capitalize()) for p in reversed(Priority)]


def parse_priority(value: Any, where: str, *, field: str) -> int:
    """A priority by name (any case, spaces around) or by rung, as its rung. Stored rules
    hold the rung, and are parsed again whenever they are read."""
    if isinstance(value, str) and value.strip().lower() in PRIORITY_NAMES:
        return PRIORITY_NAMES[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in PRIORITY_BY_RUNG:
        return value
    raise Invalid(f"{where}: a priority is one of {', '.join(PRIORITY_NAMES)}.", field=field)
