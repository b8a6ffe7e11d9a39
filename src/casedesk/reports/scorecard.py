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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.core.replica import reports_db
from casedesk.crm.models import Account
from casedesk.kb import analytics as kb_analytics
from casedesk.reports.aggregates import NO_SPREAD, Spread, spreads
from casedesk.reports.facts import BREACHED, MET, PENDING, share
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
    days = _days(facts, period)
    current = _figures(tenant, facts, period, backlog=days[-1].backlog if days else 0)
    previous_period = period.previous()
    previous = _figures(tenant, facts, previous_period,
                        backlog=_backlog_at(facts, previous_period.end))
    return Scorecard(period=period, previous_period=previous_period, filters=filters,
                     current=current, previous=previous, days=days,
                     heat=_heat(facts, period), sla_by_queue=_sla_by_queue(tenant, facts, period))


def _in(name: str, period: Period) -> dict[str, datetime]:
    return {f"{name}__gte": period.start, f"{name}__lt": period.end}


def _figures(tenant: Tenant, facts: QuerySet[CaseFact], period: Period, *, backlog: int
             ) -> Figures:
    sla = {target: TargetFigures() for target in TARGETS}
    created = 0
    for row in (facts.filter(**_in("created_at", period))
                .values("first_response_outcome", "resolution_outcome")
                .annotate(n=Count("pk")).order_by()):
        created += row["n"]
        for target in TARGETS:
            sla[target] = sla[target].plus(row[f"{target}_outcome"], row["n"])
    resolved = facts.filter(**_in("resolved_at", period))
    counts = resolved.aggregate(
        n=Count("pk"), reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        one_touch=Count("pk", filter=Q(reopen_count=0, agent_replies=1)))
    answered = facts.filter(**_in("first_response_at", period))
    csat = facts.filter(**_in("csat_answered_at", period)).aggregate(
        rated=Count("pk"), satisfied=Count("pk", filter=Q(csat_satisfied=True)))
    return Figures(
        created=created, resolved=counts["n"],
        closed=facts.filter(**_in("closed_at", period)).count(), backlog=backlog,
        first_response=_total(spreads(answered, "frt_seconds")),
        first_response_business=_total(spreads(answered, "frt_business_seconds")),
        resolution=_total(spreads(resolved, "resolution_seconds")),
        resolution_business=_total(spreads(resolved, "resolution_business_seconds")),
        sla=sla, reopened=counts["reopened"], one_touch=counts["one_touch"],
        csat_rated=csat["rated"], csat_satisfied=csat["satisfied"],
        deflection=kb_analytics.tenant_totals(tenant, since=period.start, until=period.end))


def _total(found: dict[tuple[Any, ...], Spread]) -> Spread:
    return found.get((), NO_SPREAD)


def _per_day(qs: QuerySet[CaseFact], moment: str, period: Period) -> QuerySet[CaseFact]:
    return (qs.filter(**_in(moment, period))
            .annotate(d=TruncDate(moment, tzinfo=period.zone)))


def _counts_by_day(qs: QuerySet[CaseFact], moment: str, period: Period,
                   **extra: Any) -> dict[date, dict[str, int]]:
    rows = _per_day(qs, moment, period).values("d").annotate(n=Count("pk"), **extra).order_by()
    return {row["d"]: row for row in rows}


def _backlog_at(facts: QuerySet[CaseFact], moment: datetime) -> int:
    """Open cases at `moment`: those open now, less those created since that are open now,
    plus those created before that have left since."""
    open_now = facts.filter(left_open_at__isnull=True).count()
    new_open = facts.filter(created_at__gte=moment, left_open_at__isnull=True).count()
    left_since = facts.filter(left_open_at__gte=moment, created_at__lt=moment).count()
    return open_now - new_open + left_since


def _days(facts: QuerySet[CaseFact], period: Period) -> list[Day]:
    created = _counts_by_day(facts, "created_at", period)
    resolved = _counts_by_day(facts, "resolved_at", period)
    # Cases that left the backlog on each day of the period, and still open at its end:
    # the backlog of each earlier day follows by walking back from the end.
    left = _counts_by_day(facts, "left_open_at", period)
    frt = spreads(_per_day(facts, "first_response_at", period), "frt_seconds", ("d",))
    resolution = spreads(_per_day(facts, "resolved_at", period), "resolution_seconds", ("d",))
    csat = _counts_by_day(facts, "csat_answered_at", period,
                          satisfied=Count("pk", filter=Q(csat_satisfied=True)))
    backlog = _backlog_at(facts, period.end)
    out: list[Day] = []
    for day in reversed(period.days):
        out.append(Day(
            day=day, created=created.get(day, {}).get("n", 0),
            resolved=resolved.get(day, {}).get("n", 0), backlog=backlog,
            first_response_median=frt.get((day,), NO_SPREAD).median,
            resolution_median=resolution.get((day,), NO_SPREAD).median,
            csat_rated=csat.get(day, {}).get("n", 0),
            csat_satisfied=csat.get(day, {}).get("satisfied", 0)))
        # The backlog at the end of the day before: this day's new cases were not there yet,
        # and those that left today (created before today ended) were.
        backlog = backlog - out[-1].created + left.get(day, {}).get("n", 0)
    out.reverse()
    return out


def _heat(facts: QuerySet[CaseFact], period: Period) -> list[list[int]]:
    heat = [[0] * 24 for _ in range(7)]
    rows = (facts.filter(**_in("created_at", period))
            .annotate(wd=ExtractIsoWeekDay("created_at", tzinfo=period.zone),
                      h=ExtractHour("created_at", tzinfo=period.zone))
            .values("wd", "h").annotate(n=Count("pk")).order_by())
    for row in rows:
        heat[row["wd"] - 1][row["h"]] = row["n"]
    return heat


def _sla_by_queue(tenant: Tenant, facts: QuerySet[CaseFact], period: Period) -> list[QueueSla]:
    by_queue: dict[int | None, dict[str, TargetFigures]] = defaultdict(
        lambda: {target: TargetFigures() for target in TARGETS})
    for row in (facts.filter(**_in("created_at", period))
                .values("queue_id", "first_response_outcome", "resolution_outcome")
                .annotate(n=Count("pk")).order_by()):
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
    for key, spread in spreads(resolved, "resolution_seconds", (by,)).items():
        row(key[0]).resolution = spread
    for r in resolved.values(by).annotate(n=Count("pk")).order_by():
        row(r[by]).resolved = r["n"]
    for key, spread in spreads(facts.filter(**_in("first_response_at", period)),
                               "frt_seconds", (by,)).items():
        row(key[0]).first_response = spread
    for r in (facts.filter(**_in("csat_answered_at", period)).values(by)
              .annotate(n=Count("pk"), ok=Count("pk", filter=Q(csat_satisfied=True)))
              .order_by()):
        g = row(r[by])
        g.csat_rated, g.csat_satisfied = r["n"], r["ok"]
    for r in facts.filter(left_open_at__isnull=True).values(by).annotate(n=Count("pk")).order_by():
        row(r[by]).open_now = r["n"]
    if by == "queue_id":
        for key, spread in spreads(facts.filter(**_in("claimed_at", period)),
                                   "claim_wait_seconds", (by,)).items():
            row(key[0]).claim_wait = spread
        names = queue_names(tenant, rows)
        for key, g in rows.items():
            g.name = names.get(key, "No queue") if key else "No queue"
    else:
        people = dict(Membership.objects.filter(tenant=tenant, user_id__in=[
            k for k in rows if k is not None]).values_list("user_id", "user__full_name"))
        emails = dict(Membership.objects.filter(tenant=tenant, user_id__in=list(people))
                      .values_list("user_id", "user__email"))
        for key, g in rows.items():
            g.name = (people.get(key) or emails.get(key) or "Former member") if key \
                else "Unassigned"
    return sorted(rows.values(), key=lambda g: (g.key is None, g.name.lower()))
