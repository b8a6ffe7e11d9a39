"""The SLA set-up forms (policy, calendar, settings): what the browser sent turned into the
values `sla.services` takes, and stored rows turned back into the forms.

Only the shape is handled here — a number where a number goes, both ends of a shift — and a
shape error is an `Invalid` naming the service's own field, so the page marks the same input
whichever of the two refused it. Whether the values make sense is the services' to decide.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.http import QueryDict

from casedesk.console.rule_form import (
    ConditionRow,
    mark_row_error,
    rows_of_conditions,
    rows_of_post,
)
from casedesk.core.errors import Invalid
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.sla.services import DAY_KEYS, MAX_TARGET_MINUTES

DAY_LABELS = dict(zip(DAY_KEYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                 "Saturday", "Sunday"), strict=True))
MIN_SHIFT_ROWS = 3
MAX_SHIFT_ROWS = 6  # what `parse_week` accepts
_WHOLE = re.compile(r"^\d{1,6}$")
_LOOSE_TIME = re.compile(r"^(\d):(\d\d)$")


def _whole(text: str, what: str, field_name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not _WHOLE.match(text):
        raise Invalid(f"{what} must be a whole number.", field=field_name)
    return int(text)


def clean_text(text: str, what: str, field_name: str) -> str:
    """Text a database can store: NUL characters are refused (PostgreSQL cannot keep them)."""
    if "\x00" in text:
        raise Invalid(f"{what} contains a character that cannot be stored.", field=field_name)
    return text


def refuse_nul(post: QueryDict) -> None:
    """Refuses a form with a NUL character anywhere: PostgreSQL cannot store one."""
    for values in post.lists():
        if any("\x00" in value for value in values[1]):
            raise Invalid("The form contains a character that cannot be stored.")


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


# --- policies --------------------------------------------------------------------------------

@dataclass
class TargetInput:
    """One target as typed: hours and minutes, and whether they count in business hours."""

    key: str  # first_response, next_response, resolution
    label: str
    hours: str = ""
    minutes: str = ""
    business: bool = True
    required: bool = True

    @property
    def field(self) -> str:
        return f"{self.key}_minutes"

    def total(self) -> int | None:
        hours = _whole(self.hours, f"{self.label}: the hours", self.field)
        minutes = _whole(self.minutes, f"{self.label}: the minutes", self.field)
        if hours is None and minutes is None:
            if self.required:
                raise Invalid(f"{self.label}: give a target in hours and minutes.",
                              field=self.field)
            return None
        if minutes is not None and minutes > 59:
            raise Invalid(f"{self.label}: minutes go from 0 to 59.", field=self.field)
        total = (hours or 0) * 60 + (minutes or 0)
        if total == 0:
            raise Invalid(f"{self.label}: a target of at least one minute.", field=self.field)
        if total > MAX_TARGET_MINUTES:
            raise Invalid(f"{self.label}: a target of at most {MAX_TARGET_MINUTES // 60} hours "
                          "(366 days).", field=self.field)
        return total


TARGETS = (("first_response", "First response", True), ("next_response", "Next response", False),
           ("resolution", "Resolution", True))


def _targets() -> list[TargetInput]:
    return [TargetInput(key=key, label=label, required=required)
            for key, label, required in TARGETS]


@dataclass
class PolicyDraft:
    name: str = ""
    is_enabled: bool = True
    rows: list[ConditionRow] = field(default_factory=list)
    calendar: str = ""
    targets: list[TargetInput] = field(default_factory=_targets)
    warn: str = "75"

    def values(self) -> dict[str, Any]:
        """What `policy_create` and `policy_update` take."""
        values: dict[str, Any] = {
            "name": clean_text(self.name, "The name", "name"),
            "is_enabled": self.is_enabled,
            "conditions": [row.condition() for row in self.rows],
        }
        raw = self.calendar.strip()
        if raw and not (raw.isdecimal() and len(raw) < 19):
            raise Invalid("Choose the calendar from the list.", field="calendar_id")
        values["calendar_id"] = int(raw) if raw else None
        for target in self.targets:
            values[target.field] = target.total()
            values[f"{target.key}_business"] = target.business
        warn = _whole(self.warn, "The warning", "warn_at_percent")
        if warn is not None and not 1 <= warn <= 100:
            raise Invalid("The warning comes at 1 to 100 % of a target.",
                          field="warn_at_percent")
        values["warn_at_percent"] = 75 if warn is None else warn
        return values

    def mark_error(self, message: str) -> None:
        mark_row_error(self.rows, message)


def policy_draft_of_post(post: QueryDict) -> PolicyDraft:
    targets = _targets()
    for target in targets:
        target.hours = post.get(f"{target.key}_hours", "")[:10]
        target.minutes = post.get(f"{target.key}_mins", "")[:10]
        target.business = post.get(f"{target.key}_business", "1") != "0"
    return PolicyDraft(name=post.get("name", "")[:300], is_enabled=bool(post.get("is_enabled")),
                       rows=rows_of_post(post), calendar=post.get("calendar", "")[:20],
                       targets=targets, warn=post.get("warn_at_percent", "")[:10])


def policy_draft_of(policy: SlaPolicy) -> PolicyDraft:
    targets = _targets()
    for target in targets:
        minutes = getattr(policy, target.field)
        if minutes is not None:
            target.hours, target.minutes = str(minutes // 60), str(minutes % 60)
        target.business = bool(getattr(policy, f"{target.key}_business"))
    return PolicyDraft(name=policy.name, is_enabled=policy.is_enabled,
                       rows=rows_of_conditions(policy.conditions),
                       calendar=str(policy.calendar_id or ""), targets=targets,
                       warn=str(policy.warn_at_percent))


# --- calendars -------------------------------------------------------------------------------

@dataclass
class DayRow:
    """One weekday of the schedule editor: its shifts as typed, padded with empty slots."""

    key: str
    label: str
    shifts: list[tuple[str, str]]
    has_error: bool = False


@dataclass
class CalendarDraft:
    name: str = ""
    time_zone: str = "UTC"
    days: list[DayRow] = field(default_factory=list)

    def week(self) -> dict[str, list[list[str]]]:
        """The schedule as `calendar_save` takes it; empty slots are dropped."""
        week: dict[str, list[list[str]]] = {}
        for day in self.days:
            shifts = []
            for n, (start, end) in enumerate(day.shifts, start=1):
                start, end = _padded(start), _padded(end)
                if not start and not end:
                    continue
                if not start or not end:
                    raise Invalid(f"{day.key}: shift {n} needs a start and an end.",
                                  field="week")
                shifts.append([start, end])
            if shifts:
                week[day.key] = shifts
        return week

    def mark_error(self, message: str) -> None:
        """Highlights the day an `Invalid` message names ("mon: …")."""
        key = message.split(":", 1)[0].strip()
        for day in self.days:
            day.has_error = day.has_error or day.key == key


def _padded(text: str) -> str:
    """"9:00" as "09:00"; anything else as typed (the service says what is wrong)."""
    text = text.strip()
    loose = _LOOSE_TIME.match(text)
    return f"0{loose.group(1)}:{loose.group(2)}" if loose else text


def _days(week: dict[str, list[tuple[str, str]]]) -> list[DayRow]:
    days = []
    for key in DAY_KEYS:
        shifts = list(week.get(key, []))[:MAX_SHIFT_ROWS]
        slots = min(MAX_SHIFT_ROWS, max(MIN_SHIFT_ROWS, len(shifts) + 1))
        shifts += [("", "")] * (slots - len(shifts))
        days.append(DayRow(key=key, label=DAY_LABELS[key], shifts=shifts))
    return days


def calendar_draft_of(calendar: BusinessCalendar | None, *, time_zone: str = "UTC",
                      week: dict[str, Any] | None = None) -> CalendarDraft:
    """A stored calendar as the form shows it; a new one starts from `week`."""
    raw = calendar.week if calendar is not None else week or {}
    stored: dict[str, list[tuple[str, str]]] = {}
    if isinstance(raw, dict):
        for key in DAY_KEYS:
            stored[key] = [(str(s[0]), str(s[1])) for s in raw.get(key) or []
                           if isinstance(s, list | tuple) and len(s) == 2]
    return CalendarDraft(name=calendar.name if calendar is not None else "",
                         time_zone=calendar.time_zone if calendar is not None else time_zone,
                         days=_days(stored))


def calendar_draft_of_post(post: QueryDict) -> CalendarDraft:
    typed: dict[str, list[tuple[str, str]]] = {}
    for key in DAY_KEYS:
        shifts = [(post.get(f"w-{key}-{i}-start", "")[:10], post.get(f"w-{key}-{i}-end", "")[:10])
                  for i in range(MAX_SHIFT_ROWS)]
        while shifts and shifts[-1] == ("", ""):
            shifts.pop()
        typed[key] = shifts
    return CalendarDraft(name=post.get("name", "")[:300],
                         time_zone=post.get("time_zone", "")[:64].strip(), days=_days(typed))


def pretty_week_error(message: str) -> str:
    """"mon: …" as "Monday: …"."""
    key, colon, rest = message.partition(":")
    return f"{DAY_LABELS[key]}:{rest}" if colon and key in DAY_LABELS else message


# --- settings --------------------------------------------------------------------------------

def settings_of_post(post: QueryDict) -> dict[str, Any]:
    """The SLA settings as `sla_settings_update` takes them."""
    minutes = _whole(post.get("sla_sweep_minutes", "")[:10],
                     "The sweep interval", "sla_sweep_minutes")
    return {"sla_pause_when_pending": bool(post.get("sla_pause_when_pending")),
            "sla_sweep_minutes": 0 if minutes is None else minutes}
