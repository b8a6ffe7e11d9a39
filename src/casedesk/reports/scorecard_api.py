"""The reports API: the scorecard (`GET /reports/scorecard`) and the agent and queue reports
(`GET /reports/agents`, `GET /reports/queues`): the figures of the page `/reports/scorecard`,
with the same filters read by the same parser (`reports.params`), so a query string means the
same on the page, in its CSV downloads and here. An agent's scorecard is always their own
cases; the agent and queue reports are for managers and admins."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.core import clock
from casedesk.core.priority import PRIORITY_BY_RUNG, PriorityName
from casedesk.core.schemas import MAX_ID, Error
from casedesk.reports.aggregates import Spread
from casedesk.reports.facts import change
from casedesk.reports.params import TEXT_MAX, report_filters, report_period
from casedesk.reports.periods import MAX_DAYS, Period
from casedesk.reports.schemas import (
    ReportAgentsOut,
    ReportPeriodName,
    ReportQueuesOut,
    ReportScorecardOut,
    ReportSource,
)
from casedesk.reports.scorecard import (
    Figures,
    GroupRow,
    ReportFilters,
    TargetFigures,
    group_report,
    scorecard,
)
from casedesk.tenancy.api_auth import member, require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["reports"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}

# The filters every report takes, declared once: each operation lists them, so the OpenAPI
# document shows them typed and bounded.
PERIOD = Query(None, description=(
    "The period, in the tenant's time zone; default `last_30_days`, or `custom` when `since` "
    "or `until` is given"))
SINCE = Query(None, description="First local day of a custom period (included)")
UNTIL = Query(None, description=(
    f"Last local day of a custom period (included); at most {MAX_DAYS} days after `since`"))
QUEUE = Query(None, ge=1, le=MAX_ID, description="A queue id")
TEAM = Query(None, ge=1, le=MAX_ID, description=(
    "A manager's membership id: the cases owned by their reports and by them"))
AGENT = Query(None, ge=1, le=MAX_ID, description=(
    "The owner's user id (an agent always gets their own cases)"))
PRIORITY = Query(None, description="The case's priority")
CATEGORY = Query(None, max_length=TEXT_MAX, description="The case's category")
SOURCE = Query(None, description="The channel the case came in by")
TIER = Query(None, max_length=TEXT_MAX, description="The account's tier")


def _chosen(membership: Membership, query: dict[str, Any]) -> tuple[Period, ReportFilters]:
    """The period and filters asked for, through the pages' parser (it names the field of a
    bad value: a 422; another tenant's queue, team or agent is one too)."""
    raw = {name: value.isoformat() if isinstance(value, date) else str(value)
           for name, value in query.items() if value is not None}
    return report_period(membership.tenant, raw, clock.now()), report_filters(membership, raw)


@router.get("/reports/scorecard", response={200: ReportScorecardOut, **ERRORS},
            summary="The service-desk scorecard of a period")
def get_scorecard(
    request: HttpRequest,
    period: ReportPeriodName | None = PERIOD, since: date | None = SINCE,
    until: date | None = UNTIL, queue: int | None = QUEUE, team: int | None = TEAM,
    agent: int | None = AGENT, priority: PriorityName | None = PRIORITY,
    category: str | None = CATEGORY, source: ReportSource | None = SOURCE,
    tier: str | None = TIER,
) -> Any:
    """Cases created, resolved and closed, the backlog, first-response and resolution times
    (median and p90, calendar and on the SLA clock), SLA attainment per target, re-open and
    one-touch rates, CSAT and deflection, for the period and the one before it with the
    change; each day's figures, the heat map of created cases (local weekday × hour) and SLA
    attainment by queue. Any member; an agent's figures are their own cases (`team` and
    `agent` are ignored for them). Another tenant's queue, team or agent is a 422."""
    membership = member(request)
    chosen, filters = _chosen(membership, {
        "period": period, "since": since, "until": until, "queue": queue, "team": team,
        "agent": agent, "priority": priority, "category": category, "source": source,
        "tier": tier})
    card = scorecard(membership.tenant, chosen, filters)
    current, previous = _figures(card.current), _figures(card.previous)
    return {
        "period": _period(card.period), "previous_period": _period(card.previous_period),
        "filters": _filters(card.filters), "current": current, "previous": previous,
        "change": _change(card.current, card.previous),
        "days": [{"day": d.day, "created": d.created, "resolved": d.resolved,
                  "backlog": d.backlog, "first_response_median": d.first_response_median,
                  "resolution_median": d.resolution_median, "csat_rated": d.csat_rated,
                  "csat_satisfied": d.csat_satisfied, "csat_score": d.csat_score}
                 for d in card.days],
        "heat": card.heat,
        "sla_by_queue": [{"queue_id": q.queue_id, "name": q.name, "sla": _targets(q.sla)}
                         for q in card.sla_by_queue],
    }


@router.get("/reports/agents", response={200: ReportAgentsOut, **ERRORS},
            summary="Figures per agent for a period")
def get_agent_report(
    request: HttpRequest,
    period: ReportPeriodName | None = PERIOD, since: date | None = SINCE,
    until: date | None = UNTIL, queue: int | None = QUEUE, team: int | None = TEAM,
    agent: int | None = AGENT, priority: PriorityName | None = PRIORITY,
    category: str | None = CATEGORY, source: ReportSource | None = SOURCE,
    tier: str | None = TIER,
) -> Any:
    """Per current owner of the cases (and a row for unassigned ones): cases created in the
    period, resolved in it, first-response and resolution times, SLA attainment, CSAT and the
    open load now. Managers and admins (else 403)."""
    membership = require_manager(request)
    chosen, filters = _chosen(membership, {
        "period": period, "since": since, "until": until, "queue": queue, "team": team,
        "agent": agent, "priority": priority, "category": category, "source": source,
        "tier": tier})
    rows = group_report(membership.tenant, chosen, filters, by="owner_id")
    return {"period": _period(chosen), "filters": _filters(filters),
            "agents": [{"user_id": row.key, **_group(row)} for row in rows]}


@router.get("/reports/queues", response={200: ReportQueuesOut, **ERRORS},
            summary="Figures per queue for a period")
def get_queue_report(
    request: HttpRequest,
    period: ReportPeriodName | None = PERIOD, since: date | None = SINCE,
    until: date | None = UNTIL, queue: int | None = QUEUE, team: int | None = TEAM,
    agent: int | None = AGENT, priority: PriorityName | None = PRIORITY,
    category: str | None = CATEGORY, source: ReportSource | None = SOURCE,
    tier: str | None = TIER,
) -> Any:
    """Per queue the cases are in now (and a row for cases in none): the agent report's
    figures plus the wait from creation to the first claim. Managers and admins (else 403)."""
    membership = require_manager(request)
    chosen, filters = _chosen(membership, {
        "period": period, "since": since, "until": until, "queue": queue, "team": team,
        "agent": agent, "priority": priority, "category": category, "source": source,
        "tier": tier})
    rows = group_report(membership.tenant, chosen, filters, by="queue_id")
    return {"period": _period(chosen), "filters": _filters(filters),
            "queues": [{"queue_id": row.key, **_group(row),
                        "claim_wait": _spread(row.claim_wait)} for row in rows]}


def _period(p: Period) -> dict[str, Any]:
    return {"key": p.key, "label": p.label, "first": p.first, "last": p.last,
            "start": p.start, "end": p.end, "time_zone": p.zone.key}


def _filters(f: ReportFilters) -> dict[str, Any]:
    return {"queue": f.queue_id, "team": f.team_id, "agent": f.owner_id,
            "priority": PRIORITY_BY_RUNG[f.priority] if f.priority is not None else None,
            "category": f.category, "source": f.source, "tier": f.tier}


def _spread(s: Spread) -> dict[str, Any]:
    return {"count": s.count, "median": s.median, "p90": s.p90}


def _targets(sla: dict[str, TargetFigures]) -> dict[str, Any]:
    return {target: {"met": t.met, "breached": t.breached, "pending": t.pending,
                     "attainment": t.attainment} for target, t in sla.items()}


def _figures(f: Figures) -> dict[str, Any]:
    d = f.deflection
    return {
        "created": f.created, "resolved": f.resolved, "closed": f.closed, "backlog": f.backlog,
        "first_response": _spread(f.first_response),
        "first_response_business": _spread(f.first_response_business),
        "resolution": _spread(f.resolution),
        "resolution_business": _spread(f.resolution_business),
        "sla": _targets(f.sla), "reopened": f.reopened, "reopen_rate": f.reopen_rate,
        "one_touch": f.one_touch, "one_touch_rate": f.one_touch_rate,
        "csat_rated": f.csat_rated, "csat_satisfied": f.csat_satisfied,
        "csat_score": f.csat_score,
        "deflection": {"views": d.views, "suggestions_shown": d.suggestions_shown,
                       "opened": d.opened, "solved": d.solved,
                       "self_service_deflections": d.self_service_deflections,
                       "self_service_reads": d.self_service_reads,
                       "deflection_rate": d.deflection_rate},
    }


def _amounts(f: Figures) -> dict[str, float | None]:
    """The counts and durations whose change the scorecard shows (relative)."""
    return {
        "created": f.created, "resolved": f.resolved, "closed": f.closed, "backlog": f.backlog,
        "first_response_median": f.first_response.median,
        "first_response_p90": f.first_response.p90,
        "first_response_business_median": f.first_response_business.median,
        "resolution_median": f.resolution.median, "resolution_p90": f.resolution.p90,
        "resolution_business_median": f.resolution_business.median,
    }


def _rates(f: Figures) -> dict[str, float | None]:
    """The rates whose change the scorecard shows (in points: a rate's move is read so)."""
    return {
        "first_response_attainment": f.sla["first_response"].attainment,
        "resolution_attainment": f.sla["resolution"].attainment,
        "reopen_rate": f.reopen_rate, "one_touch_rate": f.one_touch_rate,
        "csat_score": f.csat_score, "deflection_rate": f.deflection.deflection_rate,
    }


def _change(current: Figures, previous: Figures) -> dict[str, float | None]:
    amounts, rates = _amounts(previous), _rates(previous)
    moved: dict[str, float | None] = {
        name: change(value, amounts[name]) for name, value in _amounts(current).items()}
    for name, value in _rates(current).items():
        before = rates[name]
        moved[name] = None if value is None or before is None else value - before
    return moved


def _group(row: GroupRow) -> dict[str, Any]:
    return {"name": row.name, "assigned": row.assigned, "resolved": row.resolved,
            "first_response": _spread(row.first_response),
            "resolution": _spread(row.resolution), "sla": _targets(row.sla),
            "sla_attainment": row.sla_attainment, "csat_rated": row.csat_rated,
            "csat_satisfied": row.csat_satisfied, "csat_score": row.csat_score,
            "open_now": row.open_now}
