"""The periods reports cover, in the tenant's time zone: pure.

A period is a run of whole local days (`first` to `last`, both included); its instants are
the local midnights that bound it, in UTC, so a DST week is 167 or 169 hours long and each day
is counted from its own midnight. The previous period is as many days, right before.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casedesk.core.errors import Invalid

MAX_DAYS = 366
PERIODS: dict[str, str] = {
    "this_week": "This week",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "custom": "Custom",
}
DEFAULT_PERIOD = "last_30_days"


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first:%-d %b %Y}"
        return f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}"

    def previous(self) -> "Period":
        length = timedelta(days=len(self.days))
        return Period("previous", self.first - length, self.last - length, self.zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_of(key: str, *, today: date, zone: ZoneInfo, first: date | None = None,
              last: date | None = None) -> Period:
    """The period named `key` as of `today` (the tenant's local date); `custom` takes
    `first` and `last`. Invalid (naming the field) for an unknown name or a bad range."""
    if key not in PERIODS:
        raise Invalid(f"Unknown period {key!r}; one of: {', '.join(PERIODS)}.", field="period")
    if key == "custom":
        if first is None or last is None:
            raise Invalid("A custom period needs both since and until.",
                          field="since" if first is None else "until")
        if last < first:
            raise Invalid("until must not be before since.", field="until")
        if (last - first).days + 1 > MAX_DAYS:
            raise Invalid(f"A period is at most {MAX_DAYS} days.", field="since")
        if first.year < 2000 or last > today + timedelta(days=MAX_DAYS):
            raise Invalid("The period is out of range.", field="since")
        return Period(key, first, last, zone)
    month_start = today.replace(day=1)
    previous_month_end = month_start - timedelta(days=1)
    this_quarter = quarter_start(today)
    spans: dict[str, tuple[date, date]] = {
        "this_week": (today - timedelta(days=today.weekday()), today),
        "last_7_days": (today - timedelta(days=6), today),
        "last_30_days": (today - timedelta(days=29), today),
        "this_month": (month_start, today),
        "last_month": (previous_month_end.replace(day=1), previous_month_end),
        "this_quarter": (this_quarter, today),
        "last_quarter": (quarter_start(this_quarter - timedelta(days=1)),
                         this_quarter - timedelta(days=1)),
    }
    start, end = spans[key]
    return Period(key, start, end, zone)
