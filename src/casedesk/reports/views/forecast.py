"""The forecast page (`/reports/forecast`, managers and admins): the weekly and daily case
volume forecast for the next 8 weeks, its back-test error, and the agents needed per hour of
next week to meet the first-response target. A GET form picks the queue, the service level
and the target; `?format=csv&table=weekly|daily|staffing|backtest` downloads a table with
the same choices. Every number is in the page's tables; the charts only draw them again."""

import csv
import io
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from casedesk.core import clock
from casedesk.core.schemas import MAX_ID
from casedesk.reports import charts
from casedesk.reports.forecast import HOURS_PER_DAY, HOURS_PER_WEEK
from casedesk.reports.forecast_data import (
    DEFAULT_SERVICE_LEVEL,
    MAX_TARGET_MINUTES,
    TABLES,
    Forecast,
    StaffingRow,
    forecast_for,
)
from casedesk.routing.access import get_queue_for_member
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required, require_manager

MIN_SERVICE_LEVEL, MAX_SERVICE_LEVEL = 1.0, 99.9
CHART_PAST_WEEKS = 12


class ForecastForm(forms.Form):
    """The page's choices, read from the query string; all optional."""

    queue = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    service_level = forms.FloatField(
        required=False, min_value=MIN_SERVICE_LEVEL, max_value=MAX_SERVICE_LEVEL,
        label="Service level (%)",
        help_text="Share of new cases to answer within the target.")
    target_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_TARGET_MINUTES,
        label="First-response target (minutes)",
        help_text="Empty: the target of the SLA policy most of the queue's cases have.")


@member_required
@require_GET
def forecast_page(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    form = ForecastForm(request.GET)
    queues = _queues(membership)
    if not form.is_valid():
        return render(request, "reports/forecast.html",
                      {"nav": "reports", "form": form, "queues": queues, "forecast": None},
                      status=422)
    data = form.cleaned_data
    queue = (get_queue_for_member(membership, data["queue"]) if data["queue"] is not None
             else None)
    forecast = forecast_for(
        membership.tenant, queue, clock.now(),
        service_level=(data["service_level"] if data["service_level"] is not None
                       else DEFAULT_SERVICE_LEVEL),
        target_minutes=data["target_minutes"])
    if request.GET.get("format") == "csv":
        return _csv(forecast, request.GET.get("table", ""))
    if queue is not None and queue not in queues:
        queues.append(queue)  # an archived queue, chosen by its id
    return render(request, "reports/forecast.html", {
        "nav": "reports", "form": form, "queues": queues, "forecast": forecast,
        "selected_queue": queue.pk if queue is not None else None,
        "staffing_days": forecast.staffing[::HOURS_PER_DAY],
        "staffing_grid": _grid(forecast.staffing),
        "csv_query": _csv_query(request),
        "charts": _charts(forecast),
        "errors": _error_percents(forecast),
        "handle_minutes": round(forecast.handle.seconds / 60, 1),
    })


def _error_percents(forecast: Forecast) -> dict[str, float | None]:
    """The back-test's daily WAPE of the model and of the baseline, in percent."""
    if forecast.backtest is None:
        return {}
    model, naive = forecast.backtest.model.wape_daily, forecast.backtest.naive.wape_daily
    return {"model": None if model is None else model * 100,
            "naive": None if naive is None else naive * 100}


def _queues(membership: Membership) -> list[Queue]:
    return list(Queue.objects.filter(tenant_id=membership.tenant_id, is_active=True)
                .order_by("name"))


def _grid(staffing: list[StaffingRow]) -> list[tuple[int, list[StaffingRow]]]:
    """Next week as 24 rows of hours, each with its 7 days (Monday first)."""
    days = len(staffing) // HOURS_PER_DAY
    return [(hour, [staffing[day * HOURS_PER_DAY + hour] for day in range(days)])
            for hour in range(HOURS_PER_DAY)]


def _csv_query(request: PageRequest) -> str:
    """The page's own choices, for the download links (which add format and table)."""
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    return query.urlencode()


def _csv(forecast: Forecast, table: str) -> HttpResponse:
    make = TABLES.get(table)
    if make is None:
        raise Http404("No such table: choose weekly, daily, staffing or backtest.")
    header, rows = make(forecast)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    scope = (slugify(forecast.queue.name) or "queue") if forecast.queue is not None else "all"
    name = f"forecast-{table}-{scope}-{forecast.today.isoformat()}.csv"
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _charts(forecast: Forecast) -> dict[str, Any]:
    """The weekly history and forecast, the daily forecast with its interval, and the
    back-test's days; none while there is no history to draw."""
    if not forecast.has_history:
        return {}
    past = forecast.past_weeks[-CHART_PAST_WEEKS:]
    # The week under way is part history, part forecast: a dip in either line, so the chart
    # leaves it out (its table row says how many days it holds).
    ahead = [w for w in forecast.weekly if w.hours == HOURS_PER_WEEK]
    labels = [w.start.isoformat() for w in past] + [w.start.isoformat() for w in ahead]
    gap: list[float | None] = [None] * len(past)
    future: list[float | None] = [None] * len(ahead)
    found: dict[str, Any] = {
        "weekly": charts.line_chart(
            "Cases per week: actual and forecast", labels, [
                charts.Series("Actual", [float(w.cases) for w in past] + future),
                charts.Series("Forecast", gap + [w.expected for w in ahead]),
                charts.Series("Low", gap + [w.low for w in ahead]),
                charts.Series("High", gap + [w.high for w in ahead]),
            ], y_label="Cases", unit="cases", chart_id="forecast-weekly", x_label="Week of"),
        "daily": charts.line_chart(
            "Cases per day: forecast", [d.start.isoformat() for d in forecast.daily], [
                charts.Series("Forecast", [d.expected for d in forecast.daily]),
                charts.Series("Low", [d.low for d in forecast.daily]),
                charts.Series("High", [d.high for d in forecast.daily]),
            ], y_label="Cases", unit="cases", chart_id="forecast-daily", x_label="Day"),
    }
    if forecast.backtest is not None:
        days = forecast.backtest.days
        found["backtest"] = charts.line_chart(
            "Back-test: what happened and what the model said", [d.day.isoformat() for d in days], [
                charts.Series("Actual", [d.actual for d in days]),
                charts.Series("Forecast", [d.forecast for d in days]),
                charts.Series("Same day last week", [d.naive for d in days]),
            ], y_label="Cases", unit="cases", chart_id="forecast-backtest", x_label="Day")
    return found


urls: list[URLPattern] = [
    path("reports/forecast", forecast_page, name="forecast"),
]
