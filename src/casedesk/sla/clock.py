"""Business-hours arithmetic for SLA clocks: plain functions, no database.

A `Calendar` is a weekly schedule in wall-clock time of one time zone, plus holidays. An
instant is business time when its local wall time falls in that day's schedule and its local
date is not a holiday. Shifts may be split (9–12, 13–17) or run overnight (22:00–06:00, given
as start > end: the part after midnight belongs to the next day's date, so a holiday on that
date closes it).

Time zones are handled by cutting the UTC axis into pieces of constant UTC offset: inside
each piece wall time moves with UTC, so the schedule's wall intervals map straight back. That
makes DST exact: on a spring-forward day the skipped wall hour has no instants, on a
fall-back day the repeated hour counts twice — the same answer as asking, minute by minute,
"is it business time now?" (the tests check exactly that).

Pauses (a case waiting on the customer) are UTC intervals taken out of the business time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead a due time is looked for: a calendar with no business time for a year (a
# misconfigured one) yields no due time rather than an endless search.
HORIZON = timedelta(days=400)
# A due time is searched for in windows that start small and double: most targets (hours, a
# few days) end in the first one, and a window costs in proportion to its days.
_FIRST_CHUNK = timedelta(days=2)
_LAST_CHUNK = timedelta(days=32)

Interval = tuple[datetime, datetime]  # UTC, half-open [start, end)


@dataclass(frozen=True)
class Calendar:
    """Weekly schedule: `week[d]` lists (start, end) minutes after local midnight for weekday
    d (Monday = 0); end <= start means the shift runs past midnight into the next day."""

    time_zone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has seven days")
        for day in self.week:
            for start, end in day:
                if not (0 <= start < MINUTES_PER_DAY and 0 <= end <= MINUTES_PER_DAY):
                    raise ValueError(f"shift {start}-{end} is outside the day")
                if start == end:
                    raise ValueError("a shift needs a length")
        ZoneInfo(self.time_zone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_empty(self) -> bool:
        return not any(self.week)


ALWAYS = Calendar("UTC", (((0, MINUTES_PER_DAY),),) * 7)


def weekdays(start: int, end: int, days: Iterable[int] = range(5)) -> tuple[
        tuple[tuple[int, int], ...], ...]:
    """A week with the same shift on the given days (Monday–Friday by default)."""
    chosen = set(days)
    return tuple(((start, end),) if d in chosen else () for d in range(7))


# --- wall-time schedule ----------------------------------------------------------------------

def _wall_intervals(calendar: Calendar, wall_from: datetime, wall_to: datetime
                    ) -> Iterator[tuple[datetime, datetime]]:
    """The open wall-time intervals (naive datetimes) overlapping [wall_from, wall_to), in
    order, holidays removed (a holiday closes its whole local date)."""
    day = wall_from.date() - timedelta(days=1)
    last = wall_to.date()
    pieces: list[tuple[datetime, datetime]] = []
    while day <= last:
        midnight = datetime.combine(day, datetime.min.time())
        for start, end in calendar.week[day.weekday()]:
            begin = midnight + timedelta(minutes=start)
            if end > start:
                pieces.append((begin, midnight + timedelta(minutes=end)))
            else:  # overnight: split at midnight, each part on its own date
                pieces.append((begin, midnight + timedelta(days=1)))
                if end > 0:
                    pieces.append((midnight + timedelta(days=1),
                                   midnight + timedelta(days=1, minutes=end)))
        day += timedelta(days=1)
    pieces = [(a, b) for a, b in pieces if a.date() not in calendar.holidays]
    pieces.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in pieces:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    for a, b in merged:
        a, b = max(a, wall_from), min(b, wall_to)
        if a < b:
            yield a, b


# --- UTC pieces of constant offset -----------------------------------------------------------

def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


_FIXED_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Zulu", "Etc/Zulu", "Universal"})


def _offset_pieces(zone: ZoneInfo, start: datetime, end: datetime
                   ) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """[start, end) cut where the zone's UTC offset changes. Offsets change on whole seconds
    and weeks or months apart (never twice within a day), so daily probes plus a bisection on
    seconds find every change exactly."""
    if zone.key in _FIXED_ZONES:
        yield start, end, _offset(zone, start)
        return
    step = timedelta(days=1)
    piece_start, current, probe = start, _offset(zone, start), start
    while probe < end:
        nxt = min(probe + step, end)
        if _offset(zone, nxt) != current:
            low, high = int(probe.timestamp()), int(nxt.timestamp()) + 1
            while high - low > 1:  # offset(low) == current != offset(high)
                mid = (low + high) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == current:
                    low = mid
                else:
                    high = mid
            change = max(datetime.fromtimestamp(high, UTC), piece_start)
            if change < end:
                yield piece_start, change, current
                piece_start, current = change, _offset(zone, change)
        probe = nxt
    if piece_start < end:
        yield piece_start, end, current


def open_intervals(calendar: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """The business-time intervals within [start, end), in UTC, in order."""
    if start >= end or calendar.is_empty:
        return
    zone = calendar.zone
    for piece_start, piece_end, offset in _offset_pieces(zone, start, end):
        wall_from = (piece_start + offset).replace(tzinfo=None)
        wall_to = (piece_end + offset).replace(tzinfo=None)
        for a, b in _wall_intervals(calendar, wall_from, wall_to):
            yield (a - offset).replace(tzinfo=UTC), (b - offset).replace(tzinfo=UTC)


# --- interval arithmetic ---------------------------------------------------------------------

def _subtract(intervals: Iterable[Interval], holes: Sequence[Interval]) -> Iterator[Interval]:
    """`intervals` (sorted) minus `holes` (sorted, disjoint)."""
    for a, b in intervals:
        cursor = a
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= b:
                continue
            if h_start > cursor:
                yield cursor, h_start
            cursor = max(cursor, h_end)
            if cursor >= b:
                break
        if cursor < b:
            yield cursor, b


def normalise_pauses(pauses: Iterable[tuple[datetime, datetime | None]], until: datetime
                     ) -> list[Interval]:
    """Pause intervals sorted and merged; an open pause (no end) runs until `until`."""
    closed = sorted((a, b if b is not None else until) for a, b in pauses)
    merged: list[Interval] = []
    for a, b in closed:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def elapsed(calendar: Calendar, start: datetime, end: datetime,
            pauses: Sequence[Interval] = ()) -> timedelta:
    """Business time between start and end, less the paused time."""
    total = timedelta()
    for a, b in _subtract(open_intervals(calendar, start, end), pauses):
        total += b - a
    return total


def due(calendar: Calendar, start: datetime, target: timedelta,
        pauses: Sequence[Interval] = ()) -> datetime | None:
    """The instant at which `target` of business time (less pauses) has passed since start;
    None when the calendar has no business time within HORIZON. Pauses must be closed
    intervals (while a clock is paused it has no due time)."""
    if target <= timedelta():
        return start
    if calendar is ALWAYS and not pauses:
        return start + target
    if not pauses:
        # New cases made together start at the same instant under a few policies (a batch of
        # mail, an import): their due times repeat.
        return _due_unpaused(calendar, start, target)
    return _due(calendar, start, target, pauses)


@lru_cache(maxsize=4096)
def _due_unpaused(calendar: Calendar, start: datetime, target: timedelta) -> datetime | None:
    return _due(calendar, start, target, ())


def _due(calendar: Calendar, start: datetime, target: timedelta,
         pauses: Sequence[Interval]) -> datetime | None:
    remaining = target
    chunk_start = start
    limit = start + HORIZON
    chunk = _FIRST_CHUNK
    while chunk_start < limit:
        chunk_end = min(chunk_start + chunk, limit)
        for a, b in _subtract(open_intervals(calendar, chunk_start, chunk_end), pauses):
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        chunk_start = chunk_end
        chunk = min(chunk * 2, _LAST_CHUNK)
    return None


@dataclass(frozen=True)
class ClockReading:
    """Where one SLA clock stands at `now`."""

    due_at: datetime | None  # None while paused (or never, on an empty calendar)
    elapsed: timedelta  # business time used, pauses excluded
    remaining: timedelta  # negative when overdue
    paused: bool

    @property
    def breached(self) -> bool:
        return self.remaining < timedelta()


def read_clock(calendar: Calendar, *, started_at: datetime, target: timedelta, now: datetime,
               pauses: Iterable[tuple[datetime, datetime | None]] = (),
               stopped_at: datetime | None = None) -> ClockReading:
    """The clock of one target: started at `started_at`, paused during `pauses` (the last
    may still be open), stopped (met) at `stopped_at` if it was."""
    end = stopped_at or now
    raw = list(pauses)
    paused = stopped_at is None and any(b is None for _, b in raw)
    spans = normalise_pauses(raw, end)
    used = elapsed(calendar, started_at, end, spans)
    due_at = None if paused else due(calendar, started_at, target, spans)
    return ClockReading(due_at=due_at, elapsed=used, remaining=target - used, paused=paused)
