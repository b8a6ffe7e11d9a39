"""When a task is due, decided without the database: time passed in, zones named."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_overdue(due_at: datetime | None, is_done: bool, now: datetime) -> bool:
    """An open task whose due time has passed (a task without one is never late)."""
    return not is_done and due_at is not None and due_at < now


def end_of_day(now: datetime, zone: ZoneInfo | None) -> datetime:
    """The next midnight after `now` on the wall clock of `zone` (UTC for None), as an
    aware datetime: "due today" means due before it. A day that gains or loses an hour to
    daylight saving ends at its real midnight, not 24 hours after the last one."""
    local = now.astimezone(zone) if zone is not None else now
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=local.tzinfo)
