"""Business-hours arithmetic against a brute-force reference that asks, minute by minute,
"is this business time?" — random schedules (split and overnight shifts), holidays, pauses,
and time zones with DST changes and half-hour offsets."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.sla.clock import (
    ALWAYS,
    Calendar,
    due,
    elapsed,
    normalise_pauses,
    open_intervals,
    read_clock,
    weekdays,
)

ZONES = ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
MINUTE = timedelta(minutes=1)
# Starts near the 2026 DST changes of the zones above, and some ordinary days.
ANCHORS = [datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 28, tzinfo=UTC),
           datetime(2026, 4, 4, tzinfo=UTC), datetime(2026, 10, 3, tzinfo=UTC),
           datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC),
           datetime(2026, 6, 15, tzinfo=UTC), datetime(2026, 12, 23, tzinfo=UTC)]


def is_open(calendar: Calendar, instant: datetime) -> bool:
    local = instant.astimezone(ZoneInfo(calendar.time_zone))
    day, minute = local.date(), local.hour * 60 + local.minute
    if day in calendar.holidays:
        return False
    for start, end in calendar.week[day.weekday()]:
        if end > start and start <= minute < end:
            return True
        if end <= start and minute >= start:
            return True
    for start, end in calendar.week[(day - timedelta(days=1)).weekday()]:
        if end <= start and minute < end:
            return True
    return False


def reference_minutes(calendar: Calendar, start: datetime, end: datetime,
                      pauses: list[tuple[datetime, datetime]]) -> list[datetime]:
    minutes, t = [], start
    while t < end:
        if is_open(calendar, t) and not any(a <= t < b for a, b in pauses):
            minutes.append(t)
        t += MINUTE
    return minutes


shift = st.tuples(st.integers(0, 95), st.integers(1, 96)).map(
    lambda p: (p[0] * 15, (p[0] * 15 + p[1] * 15) % 1440 or 1440)
).filter(lambda p: p[0] != p[1] % 1440 or p[1] == 1440)
days = st.lists(shift, max_size=2).map(tuple)
calendars = st.builds(
    lambda zone, week, holidays: Calendar(zone, tuple(week), frozenset(holidays)),
    st.sampled_from(ZONES), st.lists(days, min_size=7, max_size=7),
    st.lists(st.dates(date(2026, 3, 1), date(2027, 1, 10)), max_size=4),
)
starts = st.builds(lambda anchor, minutes: anchor + timedelta(minutes=minutes),
                   st.sampled_from(ANCHORS), st.integers(0, 4 * 1440))


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime]]:
    raw = draw(st.lists(st.tuples(st.integers(0, 6 * 1440), st.integers(1, 1440)), max_size=3))
    return normalise_pauses([(start + timedelta(minutes=a), start + timedelta(minutes=a + n))
                             for a, n in raw], start)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars, start=starts, span=st.integers(0, 6 * 1440), data=st.data())
def test_elapsed_agrees_with_the_minute_by_minute_reference(calendar, start, span,
                                                            data) -> None:
    end = start + timedelta(minutes=span)
    pauses = data.draw(pause_lists(start))
    expected = reference_minutes(calendar, start, end, pauses)
    assert elapsed(calendar, start, end, pauses) == len(expected) * MINUTE


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars, start=starts, target=st.integers(1, 2 * 1440), data=st.data())
def test_due_time_agrees_with_the_minute_by_minute_reference(calendar, start, target,
                                                             data) -> None:
    pauses = data.draw(pause_lists(start))
    horizon = start + timedelta(days=12)
    minutes = reference_minutes(calendar, start, horizon, pauses)
    got = due(calendar, start, target * MINUTE, pauses)
    if len(minutes) >= target:
        assert got == minutes[target - 1] + MINUTE
        assert elapsed(calendar, start, got, pauses) == target * MINUTE
    else:
        assert got is None or got > horizon


def test_a_monday_to_friday_nine_to_five_day() -> None:
    cal = Calendar("Europe/London", weekdays(9 * 60, 17 * 60))
    friday_4pm = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # London is on UTC in November
    # One hour left on Friday, then Monday from 9.
    assert due(cal, friday_4pm, timedelta(hours=4)) == datetime(2026, 11, 23, 12, 0,
                                                                tzinfo=UTC)
    assert elapsed(cal, friday_4pm, datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == \
        timedelta(hours=4)


def test_new_york_spring_forward_skips_the_missing_hour() -> None:
    cal = Calendar("America/New_York", ((((0, 1440),),) * 7))
    start = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # midnight EST
    # The wall clock jumps 02:00 → 03:00; four business hours are four real hours.
    assert due(cal, start, timedelta(hours=4)) == start + timedelta(hours=4)
    night = Calendar("America/New_York", (((120, 180),),) * 7)  # 02:00–03:00 every day
    assert elapsed(night, start, start + timedelta(days=1)) == timedelta()


def test_london_fall_back_counts_the_repeated_hour_twice() -> None:
    cal = Calendar("Europe/London", (((60, 120),),) * 7)  # 01:00–02:00 wall time
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 01:00 BST
    assert elapsed(cal, start, start + timedelta(hours=3)) == timedelta(hours=2)


def test_half_hour_zones() -> None:
    kolkata = Calendar("Asia/Kolkata", weekdays(9 * 60, 18 * 60))
    monday = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # 09:00 IST
    assert due(kolkata, monday, timedelta(hours=9)) == datetime(2026, 11, 23, 12, 30,
                                                                tzinfo=UTC)
    lord_howe = Calendar("Australia/Lord_Howe", (((0, 1440),),) * 7)
    # Lord Howe moves its clocks by half an hour: a wall day is still 24 real hours except
    # on the change days.
    day = datetime(2026, 10, 3, 13, 30, tzinfo=UTC)
    assert elapsed(lord_howe, day, day + timedelta(days=1)) == timedelta(days=1)


def test_overnight_shifts_and_holidays() -> None:
    cal = Calendar("UTC", (((22 * 60, 6 * 60),),) * 7, frozenset({date(2026, 12, 25)}))
    eve = datetime(2026, 12, 24, 22, 0, tzinfo=UTC)
    # The shift starting on the 24th stops at midnight: the 25th is a holiday.
    assert elapsed(cal, eve, eve + timedelta(hours=8)) == timedelta(hours=2)
    assert [b - a for a, b in open_intervals(cal, eve, eve + timedelta(days=2))] == [
        timedelta(hours=2), timedelta(hours=6)]  # the 26th, 00:00–06:00


def test_pauses_push_the_due_time_and_an_open_pause_stops_the_clock() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    paused_at, resumed_at = start + timedelta(hours=1), start + timedelta(hours=3)
    reading = read_clock(ALWAYS, started_at=start, target=timedelta(hours=4),
                         now=start + timedelta(hours=5), pauses=[(paused_at, resumed_at)])
    assert reading.due_at == start + timedelta(hours=6)
    assert reading.elapsed == timedelta(hours=3) and not reading.breached
    waiting = read_clock(ALWAYS, started_at=start, target=timedelta(hours=4),
                         now=start + timedelta(hours=9), pauses=[(paused_at, None)])
    assert waiting.paused and waiting.due_at is None
    assert waiting.elapsed == timedelta(hours=1)
    met = read_clock(ALWAYS, started_at=start, target=timedelta(hours=4),
                     now=start + timedelta(days=3), stopped_at=start + timedelta(hours=5))
    assert met.breached and met.remaining == -timedelta(hours=1)


def test_an_empty_calendar_never_comes_due() -> None:
    assert due(Calendar(), datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)) is None


@pytest.mark.parametrize("week", [((),) * 6, (((600, 600),),) + ((),) * 6,
                                  (((0, 1441),),) + ((),) * 6])
def test_bad_schedules_are_refused(week) -> None:
    with pytest.raises(ValueError):
        Calendar("UTC", week)
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo's own error
        Calendar("Mars/Olympus_Mons", ((),) * 7)
