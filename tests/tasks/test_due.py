"""When a task is late and when "today" ends, without the database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from casedesk.tasks.due import end_of_day, is_overdue

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_only_an_open_task_past_due_is_overdue() -> None:
    assert is_overdue(NOW - timedelta(minutes=1), False, NOW)
    assert not is_overdue(NOW - timedelta(minutes=1), True, NOW)
    assert not is_overdue(NOW + timedelta(minutes=1), False, NOW)
    assert not is_overdue(None, False, NOW)


def test_today_ends_at_midnight_on_the_zones_wall_clock() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # 18:00 there: today ends six hours later
    assert end_of_day(NOW, tokyo) == datetime(2026, 11, 24, 0, 0, tzinfo=tokyo)
    assert end_of_day(NOW, tokyo) - NOW == timedelta(hours=6)
    assert end_of_day(NOW, None) == datetime(2026, 11, 24, tzinfo=UTC)


def test_a_day_that_loses_an_hour_ends_at_its_real_midnight() -> None:
    paris = ZoneInfo("Europe/Paris")
    before_switch = datetime(2026, 3, 29, 0, 30, tzinfo=paris)  # clocks jump 02:00 → 03:00
    end = end_of_day(before_switch, paris)
    assert end == datetime(2026, 3, 30, 0, 0, tzinfo=paris)
    # Same-zone subtraction in Python counts wall time: compare the instants in UTC.
    assert end.astimezone(UTC) - before_switch.astimezone(UTC) == timedelta(hours=22, minutes=30)
