"""Business-hours calendars and their holidays: checking and storing them, and turning a
stored calendar into the clock's `Calendar`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, clipped
from casedesk.core.text import check_text
from casedesk.sla.clock import Calendar
from casedesk.sla.hooks import clocks_stale
from casedesk.sla.ical import all_day_events
from casedesk.sla.models import BusinessCalendar, Holiday
from casedesk.tenancy.audit import (
    audit_change,
    audit_created,
    audit_deleted,
    audit_record,
    audit_snapshot,
)
from casedesk.tenancy.models import Tenant, User

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
DEFAULT_WEEK = {day: [["09:00", "17:00"]] for day in DAY_KEYS[:5]}


def clean_name(value: Any, field: str) -> str:
    """A name as typed, trimmed; text a database cannot store (NUL, a lone surrogate) is
    refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("Names are plain text.", field=field)
    return check_text(value, field=field, label="The name").strip()


def _minutes(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise Invalid(f"{where}: times are HH:MM, e.g. 09:00.", field="week")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def parse_week(raw: Any) -> tuple[tuple[tuple[int, int], ...], ...]:
    """{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], …} as the clock's weekly schedule."""
    if not isinstance(raw, dict):
        raise Invalid("week maps mon … sun to lists of [start, end] shifts.", field="week")
    unknown = set(raw) - set(DAY_KEYS)
    if unknown:
        raise Invalid(f"Unknown day {sorted(unknown)[0]!r}; days are {', '.join(DAY_KEYS)}.",
                      field="week")
    week = []
    for key in DAY_KEYS:
        shifts = raw.get(key) or []
        if not isinstance(shifts, list) or len(shifts) > 6:
            raise Invalid(f"{key}: a list of at most six [start, end] shifts.", field="week")
        day = []
        for shift in shifts:
            if not isinstance(shift, list | tuple) or len(shift) != 2:
                raise Invalid(f"{key}: each shift is [start, end].", field="week")
            start, end = _minutes(shift[0], key), _minutes(shift[1], key)
            if start == 1440 or start == end:
                raise Invalid(f"{key}: {shift[0]}–{shift[1]} is not a shift.", field="week")
            day.append((start, end))
        week.append(tuple(day))
    return tuple(week)


def holiday_dates(holidays: list[tuple[date, date]]) -> frozenset[date]:
    days: set[date] = set()
    for start, end in holidays:
        # Counted, not stepped past `end`: a holiday on 9999-12-31 has no day after it.
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def calendar_of(row: BusinessCalendar) -> Calendar:
    holidays = [(h.starts_on, h.ends_on) for h in row.holidays.all()]
    return Calendar(row.time_zone, parse_week(row.week), holiday_dates(holidays))


CALENDAR_AUDITED = ("name", "time_zone", "week")


def calendar_save(*, tenant: Tenant, name: str, time_zone: str, week: Any,
                  calendar: BusinessCalendar | None = None,
                  actor: User | None = None) -> BusinessCalendar:
    """Creates a calendar, or changes `calendar`; audited with old and new values."""
    name = clean_name(name, "name")
    if not name:
        raise Invalid("A calendar needs a name.", field="name")
    check_fits(BusinessCalendar, {"name": name, "time_zone": time_zone})
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Unknown time zone {time_zone!r}.", field="time_zone") from None
    parse_week(week)
    taken = BusinessCalendar.objects.filter(tenant=tenant, name=name)
    if calendar is not None:
        taken = taken.exclude(pk=calendar.pk)
    if taken.exists():
        raise Conflict(f"There is already a calendar named {name!r}.")
    row = calendar or BusinessCalendar(tenant=tenant)
    before = audit_snapshot(row, CALENDAR_AUDITED) if calendar is not None else {}
    row.name, row.time_zone, row.week = name, time_zone, week
    try:
        with transaction.atomic():
            row.save()
            audit_change(tenant=tenant, actor=actor,
                         action="calendar.updated" if calendar is not None
                         else "calendar.created", target_type="calendar", target_id=row.pk,
                         target_label=row.name, before=before,
                         after=audit_snapshot(row, CALENDAR_AUDITED))
    except IntegrityError:  # the same name saved at the same moment by someone else
        raise Conflict(f"There is already a calendar named {name!r}.") from None
    if calendar is not None:
        clocks_stale(tenant)  # its policies' open cases count anew
    return row


def holiday_add(*, calendar: BusinessCalendar, name: str, starts_on: date,
                ends_on: date | None = None, recompute: bool = True,
                actor: User | None = None) -> Holiday:
    """Adds a holiday, audited; the open cases' clocks are recomputed after commit
    (`recompute=False` leaves that, and the audit entry, to a caller adding many)."""
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise Invalid("A holiday ends on or after the day it starts.", field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise Invalid("A holiday lasts at most a year.", field="ends_on")
    name = clean_name(name, "name")
    check_fits(Holiday, {"name": name})
    with transaction.atomic():
        holiday = Holiday.objects.create(tenant_id=calendar.tenant_id, calendar=calendar,
                                         name=name, starts_on=starts_on, ends_on=ends_on)
        if recompute:
            audit_created(tenant=calendar.tenant_id, actor=actor, action="holiday.created",
                          target_type="calendar", target_id=calendar.pk,
                          target_label=calendar.name, values=_holiday_values(holiday))
    if recompute:
        clocks_stale(calendar.tenant)
    return holiday


def _holiday_values(holiday: Holiday) -> dict[str, Any]:
    return {"holiday": holiday.name, "starts_on": holiday.starts_on,
            "ends_on": holiday.ends_on}


def calendar_delete(*, calendar: BusinessCalendar, now: datetime,
                    actor: User | None = None) -> None:
    """Deletes the calendar (and its holidays); audited."""
    tenant = calendar.tenant
    with transaction.atomic():
        audit_deleted(tenant=tenant, actor=actor, action="calendar.deleted",
                      target_type="calendar", target_id=calendar.pk,
                      target_label=calendar.name,
                      values=audit_snapshot(calendar, CALENDAR_AUDITED))
        calendar.delete()
    clocks_stale(tenant)


def holiday_delete(*, holiday: Holiday, now: datetime, actor: User | None = None) -> None:
    """Deletes the holiday; audited on its calendar."""
    calendar = holiday.calendar
    with transaction.atomic():
        audit_deleted(tenant=calendar.tenant_id, actor=actor, action="holiday.deleted",
                      target_type="calendar", target_id=calendar.pk,
                      target_label=calendar.name, values=_holiday_values(holiday))
        holiday.delete()
    clocks_stale(calendar.tenant)


def holidays_import_ical(*, calendar: BusinessCalendar, text: str, now: datetime,
                         actor: User | None = None) -> list[Holiday]:
    """Adds the all-day events of an iCalendar file (RFC 5545) as holidays; events already
    present (same dates) are skipped. One audit entry lists the holidays added."""
    events = all_day_events(text)
    existing = set(Holiday.objects.filter(calendar=calendar)
                   .values_list("starts_on", "ends_on"))
    added = []
    with transaction.atomic():
        for name, starts_on, ends_on in events:
            if (starts_on, ends_on) in existing:
                continue
            # A file's summaries are kept as far as they fit, not refused.
            added.append(holiday_add(calendar=calendar, name=clipped(Holiday, "name", name),
                                     starts_on=starts_on, ends_on=ends_on, recompute=False))
            existing.add((starts_on, ends_on))
        if added:
            audit_record(tenant=calendar.tenant_id, actor=actor, action="holidays.imported",
                         target_type="calendar", target_id=calendar.pk,
                         target_label=calendar.name,
                         changes={"holidays": [None, [
                             f"{h.name} ({h.starts_on.isoformat()}"
                             f"{'' if h.ends_on == h.starts_on else ' – ' + h.ends_on.isoformat()})"
                             for h in added]]})
    if added:
        clocks_stale(calendar.tenant)
    return added
