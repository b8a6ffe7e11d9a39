"""The all-day events of an iCalendar file (RFC 5545), for importing holidays.

Only what holiday calendars use: VEVENTs with DTSTART/DTEND as DATE values (DTEND exclusive,
absent = one day) and SUMMARY. Lines are unfolded first; anything else is ignored. A file
that is not iCalendar, or an event with a broken date, is refused with the line it is on.
"""

from __future__ import annotations

from datetime import date, timedelta

from casedesk.core.errors import Invalid

MAX_EVENTS = 1000


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _unescape(value: str) -> str:
    return (value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",")
            .replace("\\;", ";").replace("\\\\", "\\")).strip()


def _date(value: str, line: int) -> date:
    text = value.strip()[:8]
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise Invalid(f"Line {line}: {value.strip()!r} is not a date.", field="file") from None


def all_day_events(text: str) -> list[tuple[str, date, date]]:
    """(summary, first day, last day) for each event, last day inclusive."""
    lines = _unfold(text)
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise Invalid("This is not an iCalendar file (it does not start with "
                      "BEGIN:VCALENDAR).", field="file")
    events: list[tuple[str, date, date]] = []
    current: dict[str, tuple[str, int]] | None = None
    for number, line in enumerate(lines, start=1):
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].strip().upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            current = {}
        elif key == "END" and value.strip().upper() == "VEVENT" and current is not None:
            if "DTSTART" not in current:
                raise Invalid(f"Line {number}: an event without DTSTART.", field="file")
            start = _date(*current["DTSTART"])
            end = _date(*current["DTEND"]) if "DTEND" in current else start
            # DTEND is exclusive; step back only when it is past DTSTART (1 January of year 1
            # has no day before it).
            end = end - timedelta(days=1) if end > start else start
            summary = _unescape(current.get("SUMMARY", ("Holiday", 0))[0]) or "Holiday"
            events.append((summary, start, end))
            if len(events) > MAX_EVENTS:
                raise Invalid(f"At most {MAX_EVENTS} events per file.", field="file")
            current = None
        elif current is not None and key in ("DTSTART", "DTEND", "SUMMARY"):
            current[key] = (value, number)
    return events
