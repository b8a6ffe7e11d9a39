"""The reports API: the case-volume forecast and the staffing plan
(`GET /reports/forecast`), the same figures as the page `/reports/forecast`, for managers and
admins. Shares are in percent, as the page shows and takes them."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query
from pydantic import Field

from casedesk.core import clock
from casedesk.core.schemas import MAX_ID, Error, RefOut
from casedesk.reports.forecast import ErrorFigures, PeriodForecast
from casedesk.reports.forecast_data import (
    DEFAULT_SERVICE_LEVEL,
    MAX_TARGET_MINUTES,
    Forecast,
    forecast_for,
)
from casedesk.routing.access import get_queue_for_member
from casedesk.tenancy.api_auth import require_manager

router = Router(tags=["reports"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class ReportForecastPeriod(Schema):
    start: date = Field(description="The day, or the Monday of the ISO week")
    hours: int = Field(description="Forecast hours in the period: fewer at the edges")
    expected: float = Field(description="Cases expected")
    low: float = Field(description="Low end of the interval (cases)")
    high: float = Field(description="High end of the interval (cases)")


class ReportForecastPastWeek(Schema):
    start: date = Field(description="Monday of the ISO week")
    cases: int


class ReportForecastErrors(Schema):
    mae_hourly: float = Field(description="Mean absolute error per hour (cases)")
    wape_hourly_percent: float | None = Field(
        description="Absolute errors over actual cases, hours; null when none came")
    mae_daily: float = Field(description="Mean absolute error per day (cases)")
    wape_daily_percent: float | None = Field(
        description="Absolute errors over actual cases, days; null when none came")


class ReportForecastBacktestDay(Schema):
    day: date
    actual: float
    forecast: float
    low: float
    high: float
    naive: float = Field(description="The same day of the week before the held-out weeks")


class ReportForecastBacktest(Schema):
    holdout_weeks: int = Field(description="Weeks held out of the fit and forecast")
    model: ReportForecastErrors
    naive: ReportForecastErrors = Field(description="Same hour of the last week, repeated")
    beats_naive: bool
    days: list[ReportForecastBacktestDay]


class ReportForecastHandle(Schema):
    seconds: float = Field(description="Median time from claiming a case to its first reply, "
                                       "each bounded to 1 minute to 2 hours")
    samples: int = Field(description="First responses measured")
    source: Literal["queue", "tenant", "default"]


class ReportForecastTarget(Schema):
    minutes: int
    source: Literal["user", "policy", "default"] = Field(
        description="Yours, the dominant SLA policy's first-response target, or the default")
    policy_id: int | None
    policy_name: str


class ReportForecastHour(Schema):
    start: datetime = Field(description="Local start of the hour, in the tenant's zone")
    expected_cases: float
    agents: int = Field(description="Agents needed at their desks (Erlang C)")
    expected_service_level_percent: float
    occupancy_percent: float


class ReportForecastOut(Schema):
    queue: RefOut | None
    time_zone: str
    today: date = Field(description="The forecast starts at this day's local midnight")
    history_start: date | None = Field(description="First local day with a case, if any")
    history_cases: int
    history_weeks: int = Field(description="Whole weeks of history")
    enough_history: bool = Field(description="False under two whole weeks: a weekday-hour "
                                             "average without trend (or zeros without cases)")
    method: Literal["weekly_ets", "profile", "none"]
    interval_percent: float = Field(description="Coverage of the low-high ranges")
    past_weeks: list[ReportForecastPastWeek]
    weekly: list[ReportForecastPeriod]
    daily: list[ReportForecastPeriod]
    backtest: ReportForecastBacktest | None = Field(
        description="Null under four whole weeks of history")
    handle_time: ReportForecastHandle
    target: ReportForecastTarget
    service_level_percent: float
    max_occupancy_percent: float
    staffing_week: date = Field(description="Monday of the week the staffing plan is for")
    staffing: list[ReportForecastHour]


@router.get("/reports/forecast", response={200: ReportForecastOut, **ERRORS},
            summary="Case-volume forecast and staffing")
def get_forecast(
    request: HttpRequest,
    queue: int | None = Query(None, ge=1, le=MAX_ID, description="A queue id; all without"),
    service_level: float = Query(DEFAULT_SERVICE_LEVEL, ge=1, le=99.9, description=(
        "Percent of new cases to answer within the target")),
    target_minutes: int | None = Query(None, ge=1, le=MAX_TARGET_MINUTES, description=(
        "First-response target; without it, the SLA policy most of the cases have")),
) -> Any:
    """The weekly and daily forecast for the next 8 weeks (from today's local midnight), its
    back-test on the tenant's own history, and the agents needed per hour of next week.
    Managers and admins (else 403); another tenant's queue is a 404."""
    membership = require_manager(request)
    chosen = get_queue_for_member(membership, queue) if queue is not None else None
    forecast = forecast_for(membership.tenant, chosen, clock.now(),
                            service_level=service_level, target_minutes=target_minutes)
    return forecast_out(forecast)


def forecast_out(f: Forecast) -> dict[str, Any]:
    tested = f.backtest
    return {
        "queue": {"id": f.queue.pk, "name": f.queue.name} if f.queue is not None else None,
        "time_zone": f.time_zone, "today": f.today, "history_start": f.history_start,
        "history_cases": f.history_cases, "history_weeks": f.history_weeks,
        "enough_history": f.enough_history, "method": f.method,
        "interval_percent": f.interval * 100,
        "past_weeks": [{"start": w.start, "cases": w.cases} for w in f.past_weeks],
        "weekly": [_period(p) for p in f.weekly], "daily": [_period(p) for p in f.daily],
        "backtest": None if tested is None else {
            "holdout_weeks": tested.holdout_weeks,
            "model": _errors(tested.model), "naive": _errors(tested.naive),
            "beats_naive": tested.beats_naive,
            "days": [{"day": d.day, "actual": d.actual, "forecast": d.forecast, "low": d.low,
                      "high": d.high, "naive": d.naive} for d in tested.days],
        },
        "handle_time": {"seconds": f.handle.seconds, "samples": f.handle.samples,
                        "source": f.handle.source},
        "target": {"minutes": f.target.minutes, "source": f.target.source,
                   "policy_id": f.target.policy_id, "policy_name": f.target.policy_name},
        "service_level_percent": f.service_level,
        "max_occupancy_percent": f.max_occupancy * 100,
        "staffing_week": f.staffing_week,
        "staffing": [{"start": h.start, "expected_cases": h.cases, "agents": h.agents,
                      "expected_service_level_percent": h.service_level * 100,
                      "occupancy_percent": h.occupancy * 100} for h in f.staffing],
    }


def _period(p: PeriodForecast) -> dict[str, Any]:
    return {"start": p.start, "hours": p.hours, "expected": p.expected, "low": p.low,
            "high": p.high}


def _errors(e: ErrorFigures) -> dict[str, Any]:
    return {"mae_hourly": e.mae_hourly,
            "wape_hourly_percent": None if e.wape_hourly is None else e.wape_hourly * 100,
            "mae_daily": e.mae_daily,
            "wape_daily_percent": None if e.wape_daily is None else e.wape_daily * 100}
