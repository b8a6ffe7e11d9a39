"""The scorecard and the agent and queue reports: figures of a period, read from the facts.

Every figure is a handful of indexed range reads of `CaseFact` (never the cases table), on
the reports' database (`core.replica.reports_db`: a replica when one is configured). What
each figure counts, for a period [start, end) of the tenant's local days:
- created: cases created in the period; their SLA outcomes (met, breached, pending) make
  the attainment per target (met / (met + breached));
- resolved: cases whose current resolution fell in the period (a case re-opened since is
  not resolved); their resolution times, re-opens and one-touch resolutions (exactly one
  public reply by an agent, never re-opened);
- closed: cases closed in the period;
- first response: cases first answered in the period; calendar time and the SLA clock's
  time (business hours of the policy's calendar, less pauses);
- backlog: open cases at the end of each day (created by then, not resolved or closed by
  then), computed back from the open cases now;
- CSAT: answers given in the period (satisfied = 4 or 5 of 5, or "good");
- deflection: the knowledge base's figures for the period (tenant-wide: articles know no
  queue or agent).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connections
from django.db.models import Case as DbCase
from django.db.models import Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate, TruncHour

from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.core.replica import reports_db
from casedesk.crm.models import Account
from casedesk.kb import analytics as kb_analytics
from casedesk.reports.aggregates import NO_SPREAD, PercentileCont, Spread, spreads
from casedesk.reports.facts import BREACHED, MET, PENDING, percentile, share
from casedesk.reports.models import CaseFact
from casedesk.reports.periods import Period
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant

TARGETS = ("first_response", "resolution")
SOURCES = ("email", "web", "phone", "chat", "slack", "api", "portal")


@dataclass(frozen=True)
class ReportFilters:
    """Which cases a report covers. `team_id` is a manager's membership id: the cases owned
    by the members who report to them (and by the manager)."""

    queue_id: int | None = None
    team_id: int | None = None
    owner_id: int | None = None
    priority: int | None = None
    category: str | None = None
    source: str | None = None
    tier: str | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as query-string values (for links and exports)."""
        return {name: str(value) for name, value in self.__dict__.items()
                if value not in (None, "")}


def check_filters(tenant: Tenant, f: ReportFilters) -> None:
    """Refuses (Invalid, naming the field) a queue, team or agent of another tenant or none,
    an unknown priority or source."""
    if f.queue_id is not None and not Queue.objects.filter(tenant=tenant, pk=f.queue_id).exists():
        raise Invalid("No such queue.", field="queue")
    if f.team_id is not None and not Membership.objects.filter(
            tenant=tenant, pk=f.team_id).exists():
        raise Invalid("No such team (a manager's membership id).", field="team")
    if f.owner_id is not None and not Membership.objects.filter(
            tenant=tenant, user_id=f.owner_id).exists():
        raise Invalid("No such agent.", field="agent")
    if f.priority is not None and f.priority not in Priority.values:
        raise Invalid("No such priority.", field="priority")
    if f.source is not None and f.source not in SOURCES:
        raise Invalid(f"No such source; one of: {', '.join(SOURCES)}.", field="source")


def facts_of(tenant: Tenant, f: ReportFilters) -> QuerySet[CaseFact]:
    db = reports_db()
    qs = CaseFact.objects.using(db).filter(tenant_id=tenant.pk)
    if f.queue_id is not None:
        qs = qs.filter(queue_id=f.queue_id)
    if f.owner_id is not None:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id is not None:
        team = Membership.objects.using(db).filter(tenant_id=tenant.pk).filter(
            Q(manager_id=f.team_id) | Q(pk=f.team_id))
        qs = qs.filter(owner_id__in=team.values("user_id"))
    if f.priority is not None:
        qs = qs.filter(priority=f.priority)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.tier:
        qs = qs.filter(account_id__in=Account.objects.using(db).filter(
            tenant_id=tenant.pk, tier=f.tier).values("pk"))
    return qs


@dataclass(frozen=True)
class TargetFigures:
    met: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def attainment(self) -> float | None:
        return share(self.met, self.met + self.breached)

    def plus(self, outcome: str, n: int) -> "TargetFigures":
        return TargetFigures(self.met + n * (outcome == MET),
                             self.breached + n * (outcome == BREACHED),
                             self.pending + n * (outcome == PENDING))


@dataclass(frozen=True)
class Figures:
    """The scorecard's figures of one period."""

    created: int
    resolved: int
    closed: int
    backlog: int
    first_response: Spread
    first_response_business: Spread
    resolution: Spread
    resolution_business: Spread
    sla: dict[str, TargetFigures]
    reopened: int
    one_touch: int
    csat_rated: int
    csat_satisfied: int
    deflection: kb_analytics.Figures

    @property
    def reopen_rate(self) -> float | None:
        return share(self.reopened, self.resolved)

    @property
    def one_touch_rate(self) -> float | None:
        return share(self.one_touch, self.resolved)

    @property
    def csat_score(self) -> float | None:
        return share(self.csat_satisfied, self.csat_rated)


@dataclass(frozen=True)
class Day:
    day: date
    created: int = 0
    resolved: int = 0
    backlog: int = 0
    first_response_median: float | None = None
    resolution_median: float | None = None
    csat_rated: int = 0
    csat_satisfied: int = 0

    @property
    def csat_score(self) -> float | None:
        return share(self.csat_satisfied, self.csat_rated)


@dataclass(frozen=True)
class QueueSla:
    queue_id: int | None
    name: str
    sla: dict[str, TargetFigures]


@dataclass(frozen=True)
class Scorecard:
    period: Period
    previous_period: Period
    filters: ReportFilters
    current: Figures
    previous: Figures
    days: list[Day]
    heat: list[list[int]]  # [ISO weekday - 1][local hour]
    sla_by_queue: list[QueueSla]


def scorecard(tenant: Tenant, period: Period, filters: ReportFilters) -> Scorecard:
    facts = facts_of(tenant, filters)
    previous_period = period.previous()
    open_now = facts.filter(left_open_at__isnull=True).count()
    created_hours = _created_hours(facts, period)
    days = _days(facts, period, open_now, created_hours)
    current, previous = _totals(facts, [period, previous_period])
    return Scorecard(
        period=period, previous_period=previous_period, filters=filters,
        current=_figures(tenant, current, period, backlog=days[-1].backlog if days else 0),
        previous=_figures(tenant, previous, previous_period,
                          backlog=_backlog_at(facts, previous_period.end, open_now)),
        days=days, heat=_heat(created_hours), sla_by_queue=_sla_by_queue(tenant, facts, period))


def _in(name: str, period: Period) -> dict[str, datetime]:
    return {f"{name}__gte": period.start, f"{name}__lt": period.end}


# The period totals: each count is the facts whose moment falls in the period and that meet
# a condition (field, value: equal; field, ">", value: greater); each spread the durations
# of the facts whose moment falls in the period.
Condition = tuple[tuple[Any, ...], ...]
_COUNTS: dict[str, tuple[str, Condition]] = {
    "created": ("created_at", ()),
    "resolved": ("resolved_at", ()),
    "closed": ("closed_at", ()),
    "reopened": ("resolved_at", (("reopen_count", ">", 0),)),
    "one_touch": ("resolved_at", (("reopen_count", 0), ("agent_replies", 1))),
    "csat_rated": ("csat_answered_at", ()),
    "csat_satisfied": ("csat_answered_at", (("csat_satisfied", True),)),
    **{f"{target}_{outcome}": ("created_at", ((f"{target}_outcome", outcome),))
       for target in TARGETS for outcome in (MET, BREACHED, PENDING)},
}
_SPREADS: dict[str, tuple[str, str]] = {
    "first_response": ("first_response_at", "frt_seconds"),
    "first_response_business": ("first_response_at", "frt_business_seconds"),
    "resolution": ("resolved_at", "resolution_seconds"),
    "resolution_business": ("resolved_at", "resolution_business_seconds"),
}
_MOMENTS = ("created_at", "resolved_at", "closed_at", "first_response_at", "csat_answered_at")


def _q(moment: str, period: Period | None, condition: Condition) -> Q:
    q = Q(**_in(moment, period)) if period is not None else Q()
    for part in condition:
        q &= Q(**{f"{part[0]}__gt": part[2]}) if len(part) == 3 else Q(**{part[0]: part[1]})
    return q


def _holds(row: dict[str, Any], moment: str, period: Period, condition: Condition) -> bool:
    at = row[moment]
    if at is None or not period.start <= at < period.end:
        return False
    return all(row[p[0]] is not None and row[p[0]] > p[2] if len(p) == 3 else row[p[0]] == p[1]
               for p in condition)


def _totals(facts: QuerySet[CaseFact], periods: list[Period]) -> list[dict[str, Any]]:
    """Each period's counts and spreads, in one scan of the facts any of them touch: on
    PostgreSQL one aggregate query (`FILTER`ed counts and percentiles), elsewhere the rows
    summed up in Python by the same conditions."""
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    touched = Q()
    for moment in _MOMENTS:
        touched |= Q(**{f"{moment}__gte": first, f"{moment}__lt": last})
    rows = facts.filter(touched)
    if connections[facts.db].vendor == "postgresql":
        return _totals_in_database(facts, periods)
    columns = sorted({*_MOMENTS, *(c for _, c in _SPREADS.values()),
                      *(p[0] for _, cond in _COUNTS.values() for p in cond)})
    records = list(rows.values(*columns).order_by())
    out = []
    for period in periods:
        totals: dict[str, Any] = {
            name: sum(1 for r in records if _holds(r, moment, period, condition))
            for name, (moment, condition) in _COUNTS.items()}
        for name, (moment, column) in _SPREADS.items():
            values = [float(r[column]) for r in records
                      if r[column] is not None and _holds(r, moment, period, ())]
            totals[name] = Spread(len(values), percentile(values, 0.5),
                                  percentile(values, 0.9)) if values else NO_SPREAD
        out.append(totals)
    return out


def _totals_in_database(facts: QuerySet[CaseFact], periods: list[Period]
                        ) -> list[dict[str, Any]]:
    """One query per moment: the facts whose moment falls in any of the periods, grouped
    by which period, with the counts and percentiles that moment dates."""
    out: list[dict[str, Any]] = [{name: 0 for name in _COUNTS} | dict.fromkeys(_SPREADS, NO_SPREAD)
                                 for _ in periods]
    for moment in _MOMENTS:
        counts = {name: Count("pk", filter=_q(moment, None, condition) if condition else None)
                  for name, (at, condition) in _COUNTS.items() if at == moment}
        columns = {name: column for name, (at, column) in _SPREADS.items() if at == moment}
        wanted: dict[str, Any] = dict(counts)
        for name, column in columns.items():
            wanted[f"{name}_n"] = Count(column)
            wanted[f"{name}_p50"] = PercentileCont(F(column), 0.5)
            wanted[f"{name}_p90"] = PercentileCont(F(column), 0.9)
        which = DbCase(*(When(Q(**_in(moment, period)), then=Value(i))
                         for i, period in enumerate(periods)), default=Value(-1))
        inside = Q()
        for period in periods:
            inside |= Q(**_in(moment, period))
        grouped: Iterable[Mapping[str, Any]] = (facts.filter(inside).annotate(which=which)
                                             .values("which").annotate(**wanted).order_by())
        for row in grouped:
            if row["which"] < 0:
                continue
            found = out[row["which"]]
            found.update({name: row[name] for name in counts})
            for name in columns:
                if row[f"{name}_n"]:
                    found[name] = Spread(row[f"{name}_n"], row[f"{name}_p50"], row[f"{name}_p90"])
    return out


def _figures(tenant: Tenant, totals: dict[str, Any], period: Period, *, backlog: int
             ) -> Figures:
    return Figures(
        created=totals["created"], resolved=totals["resolved"], closed=totals["closed"],
        backlog=backlog, first_response=totals["first_response"],
        first_response_business=totals["first_response_business"],
        resolution=totals["resolution"], resolution_business=totals["resolution_business"],
        sla={target: TargetFigures(totals[f"{target}_{MET}"], totals[f"{target}_{BREACHED}"],
                                   totals[f"{target}_{PENDING}"]) for target in TARGETS},
        reopened=totals["reopened"], one_touch=totals["one_touch"],
        csat_rated=totals["csat_rated"], csat_satisfied=totals["csat_satisfied"],
        deflection=kb_analytics.tenant_totals(tenant, since=period.start, until=period.end))


_DAY = ("d",)  # the annotation `_per_day` adds


def _per_day(qs: QuerySet[CaseFact], moment: str, period: Period) -> QuerySet[CaseFact]:
    return (qs.filter(**_in(moment, period))
            .annotate(d=TruncDate(moment, tzinfo=period.zone)))


def _counts_by_day(qs: QuerySet[CaseFact], moment: str, period: Period,
                   **extra: Any) -> dict[date, dict[str, int]]:
    rows: Iterable[dict[str, Any]] = (_per_day(qs, moment, period).values(*_DAY)
                                      .annotate(n=Count("pk"), **extra).order_by())
    return {row["d"]: row for row in rows}


def _backlog_at(facts: QuerySet[CaseFact], moment: datetime, open_now: int) -> int:
    """Open cases at `moment`: those open now, less those created since that are open now,
    plus those created before that have left since."""
    new_open = facts.filter(created_at__gte=moment, left_open_at__isnull=True).count()
    left_since = facts.filter(left_open_at__gte=moment, created_at__lt=moment).count()
    return open_now - new_open + left_since


def _created_hours(facts: QuerySet[CaseFact], period: Period) -> dict[datetime, int]:
    """Cases created in the period by local hour (the days and the heat map are read from
    the same hundreds of rows)."""
    rows = (facts.filter(**_in("created_at", period))
            .annotate(h=TruncHour("created_at", tzinfo=period.zone))
            .values("h").annotate(n=Count("pk")).order_by())
    return {row["h"]: row["n"] for row in rows}


def _days(facts: QuerySet[CaseFact], period: Period, open_now: int,
          created_hours: dict[datetime, int]) -> list[Day]:
    created: dict[date, int] = defaultdict(int)
    for hour, n in created_hours.items():
        created[hour.date()] += n
    # Cases that left the backlog on each day of the period, and still open at its end:
    # the backlog of each earlier day follows by walking back from the end.
    left = _counts_by_day(facts, "left_open_at", period)
    frt = spreads(_per_day(facts, "first_response_at", period), "frt_seconds", ("d",))
    # Every resolved case has a resolution time, so the day's count is the spread's.
    resolution = spreads(_per_day(facts, "resolved_at", period), "resolution_seconds", ("d",))
    csat = _counts_by_day(facts, "csat_answered_at", period,
                          satisfied=Count("pk", filter=Q(csat_satisfied=True)))
    backlog = _backlog_at(facts, period.end, open_now)
    out: list[Day] = []
    for day in reversed(period.days):
        resolved = resolution.get((day,), NO_SPREAD)
        out.append(Day(
            day=day, created=created.get(day, 0), resolved=resolved.count, backlog=backlog,
            first_response_median=frt.get((day,), NO_SPREAD).median,
            resolution_median=resolved.median,
            csat_rated=csat.get(day, {}).get("n", 0),
            csat_satisfied=csat.get(day, {}).get("satisfied", 0)))
        # The backlog at the end of the day before: this day's new cases were not there yet,
        # and those that left today (created before today ended) were.
        backlog = backlog - out[-1].created + left.get(day, {}).get("n", 0)
    out.reverse()
    return out


def _heat(created_hours: dict[datetime, int]) -> list[list[int]]:
    heat = [[0] * 24 for _ in range(7)]
    for hour, n in created_hours.items():
        heat[hour.isoweekday() - 1][hour.hour] += n
    return heat


def _sla_by_queue(tenant: Tenant, facts: QuerySet[CaseFact], period: Period) -> list[QueueSla]:
    by_queue: dict[int | None, dict[str, TargetFigures]] = defaultdict(
        lambda: {target: TargetFigures() for target in TARGETS})
    outcomes: Iterable[Mapping[str, Any]] = (
        facts.filter(**_in("created_at", period))
        .values("queue_id", "first_response_outcome", "resolution_outcome")
        .annotate(n=Count("pk")).order_by())
    for row in outcomes:
        for target in TARGETS:
            figures = by_queue[row["queue_id"]]
            figures[target] = figures[target].plus(row[f"{target}_outcome"], row["n"])
    names = queue_names(tenant, by_queue)
    return sorted((QueueSla(pk, names.get(pk, "No queue") if pk else "No queue", sla)
                   for pk, sla in by_queue.items()
                   if any(t.met + t.breached for t in sla.values())),
                  key=lambda q: q.name.lower())


def queue_names(tenant: Tenant, ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = [pk for pk in ids if pk is not None]
    return dict(Queue.objects.filter(tenant=tenant, pk__in=wanted).values_list("pk", "name"))


# Agent and queue reports ---------------------------------------------------------------


@dataclass
class GroupRow:
    """One agent's or one queue's figures for a period."""

    key: int | None
    name: str = ""
    assigned: int = 0
    resolved: int = 0
    first_response: Spread = NO_SPREAD
    resolution: Spread = NO_SPREAD
    sla: dict[str, TargetFigures] = field(
        default_factory=lambda: {target: TargetFigures() for target in TARGETS})
    csat_rated: int = 0
    csat_satisfied: int = 0
    open_now: int = 0
    claim_wait: Spread = NO_SPREAD

    @property
    def sla_attainment(self) -> float | None:
        met = sum(t.met for t in self.sla.values())
        return share(met, met + sum(t.breached for t in self.sla.values()))

    @property
    def csat_score(self) -> float | None:
        return share(self.csat_satisfied, self.csat_rated)


def group_report(tenant: Tenant, period: Period, filters: ReportFilters, *, by: str
                 ) -> list[GroupRow]:
    """Per agent (`by="owner_id"`: the case's current owner) or per queue
    (`by="queue_id"`, with the wait until a case was first claimed), for the period."""
    if by not in ("owner_id", "queue_id"):
        raise ValueError(by)
    facts = facts_of(tenant, filters)
    rows: dict[int | None, GroupRow] = {}

    def row(key: int | None) -> GroupRow:
        return rows.setdefault(key, GroupRow(key))

    for r in (facts.filter(**_in("created_at", period))
              .values(by, "first_response_outcome", "resolution_outcome")
              .annotate(n=Count("pk")).order_by()):
        g = row(r[by])
        g.assigned += r["n"]
        for target in TARGETS:
            g.sla[target] = g.sla[target].plus(r[f"{target}_outcome"], r["n"])
    resolved = facts.filter(**_in("resolved_at", period))
    for group, spread in spreads(resolved, "resolution_seconds", (by,)).items():
        row(group[0]).resolution = spread
    for r in resolved.values(by).annotate(n=Count("pk")).order_by():
        row(r[by]).resolved = r["n"]
    for group, spread in spreads(facts.filter(**_in("first_response_at", period)),
                               "frt_seconds", (by,)).items():
        row(group[0]).first_response = spread
    for r in (facts.filter(**_in("csat_answered_at", period)).values(by)
              .annotate(n=Count("pk"), ok=Count("pk", filter=Q(csat_satisfied=True)))
              .order_by()):
        g = row(r[by])
        g.csat_rated, g.csat_satisfied = r["n"], r["ok"]
    for r in facts.filter(left_open_at__isnull=True).values(by).annotate(n=Count("pk")).order_by():
        row(r[by]).open_now = r["n"]
    if by == "queue_id":
        for group, spread in spreads(facts.filter(**_in("claimed_at", period)),
                                     "claim_wait_seconds", (by,)).items():
            row(group[0]).claim_wait = spread
        names = queue_names(tenant, rows)
        for key, g in rows.items():
            g.name = names.get(key, "No queue") if key else "No queue"
    else:
        people = {user_id: full_name or email for user_id, full_name, email in (
            Membership.objects.filter(tenant=tenant, user_id__in=[k for k in rows if k])
            .values_list("user_id", "user__full_name", "user__email"))}
        for key, g in rows.items():
            g.name = people.get(key, "Former member") if key else "Unassigned"
    return sorted(rows.values(), key=lambda g: (g.key is None, g.name.lower()))
