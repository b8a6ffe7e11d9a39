"""The forecast page's figures: a tenant's (or one queue's) case history read from the facts,
the volume forecast and its back-test (`reports.forecast`), and the agents needed per hour
(`reports.staffing`).

What is read, and why so:
- **History**: cases created per local wall-clock hour of the tenant's zone, over the last
  `HISTORY_WEEKS` weeks up to the start of today (a day half over would read as a drop),
  counted by the database (`TruncHour` in the zone, grouped): at most 8,736 rows come back
  however many cases there are. It starts at the first local day with a case, so a young
  tenant's empty months before it began do not drag its level down. A case counts under
  the queue it is in now (the facts keep the current queue, not where it was created).
- **Handle time** (what Erlang C needs, the time an agent is busy with one case): casedesk
  records no time spent working, so it is measured as the median time from the case
  reaching its owner (`claimed_at`: the claim, or the assignment by routing) to the first
  public reply, over the queue's last `HANDLE_SAMPLE` first responses of the last
  `HANDLE_WEEKS` weeks. Waiting in the queue before the claim is left out on purpose:
  Erlang C models that wait itself. Each time is bounded to `HANDLE_BOUNDS`: a reply in
  the same second as the claim was not written in no time, and one hours after the claim
  means the case waited in the owner's pile, not that it took hours of work; the median
  keeps the rest from mattering. Fewer than `HANDLE_MIN_SAMPLES` measured in the queue: the
  tenant's figure; fewer than that too: `DEFAULT_HANDLE_SECONDS`, and the page says so.
- **First-response target**: the user's, else the first-response minutes of the SLA policy
  that applied to most of the queue's last `POLICY_SAMPLE` cases (ties: the policy that
  comes first in the tenant's order), else `DEFAULT_TARGET_MINUTES`. A policy counting in
  business hours has the same minutes within them, which is when agents are staffed.

The forecast starts at today's local midnight and runs to the end of the 8th whole week
after this one; the staffing plan is for next week (Monday to Sunday). Everything is read
from the reports' replica when there is one (`core.replica.reports_db`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Count, F
from django.db.models.functions import TruncHour

from casedesk.core.replica import reports_db
from casedesk.reports.forecast import (
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    Backtest,
    ForecastMethod,
    HourlySeries,
    PeriodForecast,
    backtest,
    daily,
    forecast_hourly,
    weekly,
)
from casedesk.reports.models import CaseFact
from casedesk.reports.staffing import staffing_plan
from casedesk.routing.models import Queue
from casedesk.sla.models import SlaPolicy
from casedesk.tenancy.models import Tenant

HISTORY_WEEKS = 52
FORECAST_WEEKS = 8
# Four held-out weeks when holding them out still leaves the model its damped trend to fit
# (`forecast.TREND_MIN_WEEKS`); two otherwise, the fewest that say anything.
LONG_HOLDOUT_WEEKS, SHORT_HOLDOUT_WEEKS, LONG_HOLDOUT_FROM_WEEKS = 4, 2, 14
DEFAULT_SERVICE_LEVEL = 80.0
DEFAULT_TARGET_MINUTES = 60
MAX_TARGET_MINUTES = 7 * 24 * 60
HANDLE_WEEKS = 12
HANDLE_SAMPLE = 2000
HANDLE_MIN_SAMPLES = 20
HANDLE_BOUNDS = (60.0, 2 * 3600.0)
DEFAULT_HANDLE_SECONDS = 15 * 60.0
POLICY_SAMPLE = 1000
# Erlang C's other knobs, fixed and shown on the page: no agent busy more than 85 % of the
# hour; the plan counts agents at their desks (breaks and meetings are the rota's to add).
MAX_OCCUPANCY = 0.85

Source = Literal["queue", "tenant", "default"]
TargetSource = Literal["user", "policy", "default"]


@dataclass(frozen=True)
class HandleTime:
    """The measured handle time and where it came from (`samples` measured there)."""

    seconds: float
    samples: int
    source: Source


@dataclass(frozen=True)
class Target:
    """The first-response target the staffing plan meets, and where it came from."""

    minutes: int
    source: TargetSource
    policy_id: int | None = None
    policy_name: str = ""


@dataclass(frozen=True)
class StaffingRow:
    """One hour of next week: its local start, forecast cases and the agents it needs."""

    start: datetime
    cases: float
    agents: int
    service_level: float
    occupancy: float


@dataclass(frozen=True)
class WeekActual:
    """Cases created in one past ISO week (`start` its Monday), whole weeks only."""

    start: date
    cases: int


@dataclass(frozen=True)
class Forecast:
    """Everything the forecast page, its CSV files and its API show."""

    queue: Queue | None
    time_zone: str
    today: date
    history_start: date | None
    history_cases: int
    history_weeks: int
    past_weeks: list[WeekActual]
    method: ForecastMethod
    enough_history: bool
    interval: float
    weekly: list[PeriodForecast]
    daily: list[PeriodForecast]
    backtest: Backtest | None
    handle: HandleTime
    target: Target
    service_level: float
    max_occupancy: float
    staffing_week: date
    staffing: list[StaffingRow]

    @property
    def has_history(self) -> bool:
        return self.history_cases > 0

    @property
    def staffing_peak(self) -> int:
        return max((row.agents for row in self.staffing), default=0)


def forecast_for(tenant: Tenant, queue: Queue | None, now: datetime, *,
                 service_level: float = DEFAULT_SERVICE_LEVEL,
                 target_minutes: int | None = None) -> Forecast:
    """The tenant's (or the queue's) forecast as of `now`: `service_level` in percent (of new
    cases answered within the target), `target_minutes` the user's first-response target
    (None: the queue's dominant SLA policy's). Reads the facts; writes nothing."""
    if not 0 < service_level < 100:
        raise ValueError("service_level must be above 0 and below 100 (percent)")
    if target_minutes is not None and not 0 < target_minutes <= MAX_TARGET_MINUTES:
        raise ValueError(f"target_minutes must be from 1 to {MAX_TARGET_MINUTES}")
    zone = ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    start = _midnight(today, zone)
    queue_id = queue.pk if queue is not None else None
    db = reports_db()
    history = hourly_history(tenant, queue_id, since=_midnight(
        today - timedelta(weeks=HISTORY_WEEKS), zone), until=start, using=db)
    this_monday = today - timedelta(days=today.weekday())
    end = this_monday + timedelta(weeks=FORECAST_WEEKS + 1)
    hours = (end - today).days * HOURS_PER_DAY
    hourly = forecast_hourly(history if history is not None else [], start=start, hours=hours)
    weeks = history.counts.size // HOURS_PER_WEEK if history is not None else 0
    holdout = LONG_HOLDOUT_WEEKS if weeks >= LONG_HOLDOUT_FROM_WEEKS else SHORT_HOLDOUT_WEEKS
    tested = backtest(history, holdout_weeks=holdout) if history is not None else None

    handle = handle_time(tenant, queue_id, until=now, using=db)
    target = (Target(target_minutes, "user") if target_minutes is not None
              else dominant_target(tenant, queue_id, until=now, using=db))
    next_monday = this_monday + timedelta(weeks=1)
    offset = (next_monday - today).days * HOURS_PER_DAY
    week = hourly.expected[offset:offset + HOURS_PER_WEEK]
    plan = staffing_plan((round(float(v), 3) for v in week), handle.seconds,
                         target.minutes * 60.0, service_level / 100, MAX_OCCUPANCY)
    monday = _midnight(next_monday, zone)
    staffing = [StaffingRow(start=monday + timedelta(hours=i), cases=hour.cases,
                            agents=hour.working, service_level=hour.service_level,
                            occupancy=hour.occupancy) for i, hour in enumerate(plan)]
    return Forecast(
        queue=queue, time_zone=tenant.time_zone, today=today,
        history_start=history.start.date() if history is not None else None,
        history_cases=int(history.counts.sum()) if history is not None else 0,
        history_weeks=hourly.history_weeks,
        past_weeks=past_weeks(history) if history is not None else [],
        method=hourly.method, enough_history=hourly.enough_history, interval=hourly.interval,
        weekly=weekly(hourly), daily=daily(hourly), backtest=tested, handle=handle,
        target=target, service_level=service_level, max_occupancy=MAX_OCCUPANCY,
        staffing_week=next_monday, staffing=staffing)


def hourly_history(tenant: Tenant, queue_id: int | None, *, since: datetime,
                   until: datetime, using: str | None = None) -> HourlySeries | None:
    """Cases created from `since` to `until` (local midnights) per wall-clock hour of the
    tenant's zone, from the local midnight before the first one to `until`; None without a
    case. The hour repeated when clocks go back holds the cases of both readings; the hour
    skipped when they go forward holds none (as `reports.forecast` expects)."""
    zone = ZoneInfo(tenant.time_zone)
    facts = CaseFact.objects.using(using or reports_db()).filter(
        tenant=tenant, created_at__gte=since, created_at__lt=until)
    if queue_id is not None:
        facts = facts.filter(queue_id=queue_id)
    rows = list(facts.annotate(hour=TruncHour("created_at", tzinfo=zone))
                .values("hour").annotate(cases=Count("pk")).values_list("hour", "cases")
                .order_by())
    if not rows:
        return None
    walls = [_wall(hour, zone) for hour, _ in rows]
    first = min(walls).replace(hour=0)
    end = until.astimezone(zone).replace(tzinfo=None)
    counts = np.zeros(_hours(first, end))
    for wall, (_, cases) in zip(walls, rows, strict=True):
        counts[_hours(first, wall)] += cases
    return HourlySeries(start=first.replace(tzinfo=zone), counts=counts)


def handle_time(tenant: Tenant, queue_id: int | None, *, until: datetime,
                using: str | None = None) -> HandleTime:
    """The median bounded time from the owner taking a case to its first reply: the queue's,
    else the tenant's, else the default (see the module's docstring)."""
    since = until - timedelta(weeks=HANDLE_WEEKS)
    scopes: list[tuple[Source, int | None]] = [("tenant", None)]
    if queue_id is not None:
        scopes.insert(0, ("queue", queue_id))
    for source, scope in scopes:
        facts = CaseFact.objects.using(using or reports_db()).filter(
            tenant=tenant, first_response_at__gte=since, first_response_at__lt=until,
            claimed_at__isnull=False, claimed_at__lte=F("first_response_at"))
        if scope is not None:
            facts = facts.filter(queue_id=scope)
        pairs = list(facts.order_by("-first_response_at")
                     .values_list("claimed_at", "first_response_at")[:HANDLE_SAMPLE])
        if len(pairs) >= HANDLE_MIN_SAMPLES:
            # Both are set: the filter keeps only claimed cases with a first response.
            waits = [(answered - taken).total_seconds() for taken, answered in pairs
                     if taken is not None and answered is not None]
            return HandleTime(bounded_median(waits), len(waits), source)
    return HandleTime(DEFAULT_HANDLE_SECONDS, 0, "default")


def bounded_median(seconds: Sequence[float]) -> float:
    """The median of the times, each first held within `HANDLE_BOUNDS`."""
    low, high = HANDLE_BOUNDS
    return float(statistics.median(min(max(s, low), high) for s in seconds))


def dominant_target(tenant: Tenant, queue_id: int | None, *, until: datetime,
                    using: str | None = None) -> Target:
    """The first-response target of the SLA policy that applied to most of the queue's (or
    the tenant's) latest cases; the default when none had a policy."""
    db = using or reports_db()
    facts = CaseFact.objects.using(db).filter(tenant=tenant, created_at__lt=until)
    if queue_id is not None:
        facts = facts.filter(queue_id=queue_id)
    used = Counter(pk for pk in facts.order_by("-created_at")
                   .values_list("case__sla_policy_id", flat=True)[:POLICY_SAMPLE]
                   if pk is not None)
    policies = list(SlaPolicy.objects.using(db).filter(tenant=tenant, pk__in=list(used)))
    if not policies:
        return Target(DEFAULT_TARGET_MINUTES, "default")
    best = max(policies, key=lambda p: (used[p.pk], -p.position, -p.pk))
    return Target(best.first_response_minutes, "policy", best.pk, best.name)


def past_weeks(history: HourlySeries) -> list[WeekActual]:
    """The history's whole ISO weeks (Monday to Sunday), oldest first."""
    start = history.start.replace(tzinfo=None)
    days = history.counts.size // HOURS_PER_DAY
    by_day = history.counts[:days * HOURS_PER_DAY].reshape(days, HOURS_PER_DAY).sum(axis=1)
    skip = (7 - start.weekday()) % 7
    whole = max((days - skip) // 7, 0)
    totals = by_day[skip:skip + whole * 7].reshape(whole, 7).sum(axis=1)
    first = start.date() + timedelta(days=skip)
    return [WeekActual(first + timedelta(weeks=i), int(total))
            for i, total in enumerate(totals.tolist())]


# --- the tables as rows (the CSV files and the API read these) ---------------------------

Row = tuple[str, ...]


def weekly_table(forecast: Forecast) -> tuple[Row, list[Row]]:
    return (("week_start", "hours", "expected", "low", "high"),
            [_period(p) for p in forecast.weekly])


def daily_table(forecast: Forecast) -> tuple[Row, list[Row]]:
    return (("day", "hours", "expected", "low", "high"), [_period(p) for p in forecast.daily])


def staffing_table(forecast: Forecast) -> tuple[Row, list[Row]]:
    return (("hour_start", "weekday", "expected_cases", "agents",
             "expected_service_level_percent", "occupancy_percent"),
            [(row.start.isoformat(), row.start.strftime("%A"), f"{row.cases:.2f}",
              str(row.agents), f"{row.service_level * 100:.1f}", f"{row.occupancy * 100:.1f}")
             for row in forecast.staffing])


def backtest_table(forecast: Forecast) -> tuple[Row, list[Row]]:
    days = forecast.backtest.days if forecast.backtest is not None else []
    return (("day", "actual", "forecast", "low", "high", "naive"),
            [(d.day.isoformat(), f"{d.actual:.0f}", f"{d.forecast:.2f}", f"{d.low:.0f}",
              f"{d.high:.0f}", f"{d.naive:.0f}") for d in days])


TABLES: dict[str, Callable[[Forecast], tuple[Row, list[Row]]]] = {
    "weekly": weekly_table, "daily": daily_table, "staffing": staffing_table,
    "backtest": backtest_table,
}


def _period(p: PeriodForecast) -> Row:
    return (p.start.isoformat(), str(p.hours), f"{p.expected:.2f}", f"{p.low:.0f}",
            f"{p.high:.0f}")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _wall(hour: datetime, zone: ZoneInfo) -> datetime:
    """The local wall-clock reading of an hour the database truncated in `zone`."""
    if hour.tzinfo is not None:
        hour = hour.astimezone(zone).replace(tzinfo=None)
    return hour.replace(fold=0)


def _hours(earlier: datetime, later: datetime) -> int:
    return int((later - earlier) // timedelta(hours=1))
