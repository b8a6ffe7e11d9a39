"""The SLA set-up told in words, for pages: lengths of time, targets, weekly hours, escalation
conditions and actions. Plain functions of their inputs, no query; the labels here are the
ones the escalation form offers, so the list and the form say the same thing (operators are
named as routing names them, `routing.words`)."""

from datetime import timedelta
from typing import Any

from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.routing.words import NO_VALUE_OPERATORS, OPERATOR_LABELS
from casedesk.sla import calendars

DAY_NAMES = dict(zip(calendars.DAY_KEYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                     strict=True))
DAY_LABELS = dict(zip(calendars.DAY_KEYS, ("Monday", "Tuesday", "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"), strict=True))

ESCALATION_FIELD_LABELS = {
    "age_hours": "Age in hours",
    "idle_hours": "Hours without an update",
    "priority": "Priority",
    "status": "Status",
    "queue_id": "Queue",
    "owner_id": "Owner",
    "breached": "SLA breached",
}
BREACH_LABELS = {"first_response": "first response", "resolution": "resolution",
                 "any": "any target"}
NOTIFY_LABELS = {"owner": "The case's owner", "owner_manager": "The owner's manager",
                 "managers": "Every manager", "admins": "Every admin"}
NOTIFY_WORDS = {"owner": "the owner", "owner_manager": "the owner's manager",
                "managers": "every manager", "admins": "every admin"}


def duration_words(delta: timedelta) -> str:
    """A length of time as people read it on a clock: "3 h 20 min", "2 d 4 h", "45 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def target_words(minutes: int | None, business: bool) -> str:
    if minutes is None:
        return "—"
    kind = "business" if business else "calendar"
    return f"{duration_words(timedelta(minutes=minutes))} ({kind})"


def week_words(week: Any) -> list[str]:
    """A weekly schedule in words, days with the same hours together: "Mon–Fri 09:00–17:00"."""
    if not isinstance(week, dict):
        return []
    hours = []
    for key in calendars.DAY_KEYS:
        shifts = week.get(key) or []
        hours.append(", ".join(f"{s[0]}–{s[1]}" for s in shifts
                               if isinstance(s, list | tuple) and len(s) == 2))
    words: list[str] = []
    start = 0
    while start < 7:
        end = start
        while end + 1 < 7 and hours[end + 1] == hours[start]:
            end += 1
        if hours[start]:
            first, last = DAY_NAMES[calendars.DAY_KEYS[start]], DAY_NAMES[calendars.DAY_KEYS[end]]
            words.append(f"{first if start == end else f'{first}–{last}'} {hours[start]}")
        start = end + 1
    return words


def pretty_week_error(message: str) -> str:
    """"mon: …" as "Monday: …"."""
    key, colon, rest = message.partition(":")
    return f"{DAY_LABELS[key]}:{rest}" if colon and key in DAY_LABELS else message


def escalation_value_text(name: str, value: Any, queues: dict[int, str]) -> str:
    """A stored escalation value as typed on the form: priorities and queues by name."""
    if isinstance(value, list | tuple):
        return ", ".join(escalation_value_text(name, v, queues) for v in value)
    if value is None:
        return ""
    if name == "priority" and isinstance(value, int):
        return PRIORITY_BY_RUNG.get(value, str(value))
    if name == "queue_id" and isinstance(value, int):
        return queues.get(value, str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def escalation_condition_words(condition: dict[str, Any], queues: dict[int, str]) -> str:
    """A stored condition in words, for the rules list: "Age in hours is more than 48"."""
    name, op = str(condition.get("field") or ""), str(condition.get("op") or "")
    label = ESCALATION_FIELD_LABELS.get(name, name)
    operator = OPERATOR_LABELS.get(op, op)
    if op in NO_VALUE_OPERATORS:
        return f"{label} {operator}"
    value = condition.get("value")
    if name == "breached":
        return f"SLA breached: {BREACH_LABELS.get(str(value), str(value))}"
    if name == "status":
        values = value if isinstance(value, list) else [value]
        return f"{label} {operator} {', '.join(str(v).replace('_', ' ') for v in values)}"
    return f"{label} {operator} {escalation_value_text(name, value, queues)}"


def escalation_action_words(actions: dict[str, Any], queues: dict[int, str],
                            members: dict[int, str]) -> list[str]:
    words = []
    notify = [NOTIFY_WORDS.get(t) or members.get(int(t[5:]) if t[5:].isdecimal() else 0,
                                                   "(former member)")
              for t in actions.get("notify") or [] if isinstance(t, str)]
    if notify:
        words.append("Notify " + ", ".join(notify))
    if actions.get("queue_id") is not None:
        words.append(f"Move to {queues.get(actions['queue_id'], '(deleted queue)')}, "
                     "unassigned")
    if actions.get("raise_priority"):
        words.append("Raise priority one rung")
    return words
