"""The scorecard (`/reports/scorecard`) and the agent and queue reports (`/reports/agents`,
`/reports/queues`): figures of a period read from the facts (`reports.scorecard`), shown as
tiles, charts and tables (`reports.scorecard_display`), each table downloadable as CSV with
the same filters (`?format=csv&table=<name>`).

One GET form for the three pages, parsed by `reports.params` (as the API parses it): managers
and admins see any cases; an agent sees the scorecard of their own cases, and not the agent
and queue reports. A bad value shows on the form (400), with no figures.

Each tile links to the console's case list, filtered to the cases behind its figure. The list
reads the cases as they are now, the tiles the facts the worker last refreshed: the two agree
once it has.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from casedesk.cases.models import PicklistKind, PicklistValue
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_CHOICES
from casedesk.crm.models import Account
from casedesk.reports.params import report_filters, report_period
from casedesk.reports.periods import PERIODS, Period
from casedesk.reports.scorecard import SOURCES, ReportFilters, group_report, scorecard
from casedesk.reports.scorecard_display import (
    SCORECARD_TABLES,
    group_lines,
    group_rows,
    scorecard_charts,
    sla_table,
    tiles,
)
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of
from casedesk.tenancy.web import PageRequest, member, member_required, require_manager

SOURCE_LABELS = {"api": "API", "slack": "Slack"}


def csv_response(name: str, period: Period, header: Sequence[str],
                 rows: Iterable[Sequence[str]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The filter form -----------------------------------------------------------------------


@dataclass(frozen=True)
class FilterForm:
    """What `_filters.html` shows: the values sent (as text), the choices, the error of each
    field the parser refused, and whether the team and agent choices apply (managers)."""

    values: dict[str, str]
    errors: dict[str, str]
    periods: list[tuple[str, str]]
    queues: list[tuple[str, str]]
    teams: list[tuple[str, str]]
    agents: list[tuple[str, str]]
    priorities: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    sources: list[tuple[str, str]]
    tiers: list[tuple[str, str]]
    is_manager: bool
    action: str


FIELDS = ("period", "since", "until", "queue", "team", "agent", "priority", "category",
          "source", "tier")


def filter_form(membership: Membership, query: Any, *, action: str,
                error: Invalid | None = None) -> FilterForm:
    tenant_id = membership.tenant_id
    values = {name: str(query.get(name) or "").strip() for name in FIELDS}
    if not values["period"]:
        values["period"] = "custom" if values["since"] or values["until"] else "last_30_days"
    queues = [(str(pk), name if active else f"{name} (archived)") for pk, name, active in
              Queue.objects.filter(tenant_id=tenant_id).order_by("-is_active", "name")
              .values_list("pk", "name", "is_active")]
    teams: list[tuple[str, str]] = []
    agents: list[tuple[str, str]] = []
    if membership.is_manager:
        leads = Membership.objects.filter(tenant_id=tenant_id, manager__isnull=False)
        teams = [(str(m.pk), f"{m.user.display_name}'s team") for m in
                 members_of(tenant_id, active_only=False).filter(
                     pk__in=leads.values("manager_id"))]
        agents = [(str(m.user_id), m.user.display_name)
                  for m in members_of(tenant_id, active_only=False)]
    categories = [(v, v) for v in PicklistValue.objects.filter(
        tenant_id=tenant_id, kind=PicklistKind.CATEGORY).values_list("value", flat=True)]
    tiers = [(t, t) for t in Account.objects.filter(tenant_id=tenant_id).exclude(tier="")
             .values_list("tier", flat=True).distinct().order_by("tier")]
    errors: dict[str, str] = {}
    if error is not None:
        errors[error.field if error.field in FIELDS else "form"] = error.detail
    return FilterForm(
        values=values, errors=errors, periods=list(PERIODS.items()), queues=queues,
        teams=teams, agents=agents, priorities=PRIORITY_CHOICES,
        categories=_with_sent(categories, values["category"]),
        sources=[(s, SOURCE_LABELS.get(s, s.capitalize())) for s in SOURCES],
        tiers=_with_sent(tiers, values["tier"]), is_manager=membership.is_manager,
        action=action)


def _with_sent(choices: list[tuple[str, str]], sent: str) -> list[tuple[str, str]]:
    # A value no longer offered (a retired category) still filters, and shows as chosen.
    if sent and sent not in dict(choices):
        return [*choices, (sent, sent)]
    return choices


def _download_query(request: PageRequest) -> str:
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    return query.urlencode()


# Pages ---------------------------------------------------------------------------------


def _read(request: PageRequest, membership: Membership
          ) -> tuple[Period, ReportFilters] | Invalid:
    try:
        period = report_period(membership.tenant, request.GET, clock.now())
        return period, report_filters(membership, request.GET)
    except Invalid as error:
        return error


def _refused(request: PageRequest, template: str, membership: Membership, action: str,
             error: Invalid) -> HttpResponse:
    return render(request, template, {
        "nav": "reports", "membership": membership, "report": None,
        "by_queue": template.endswith("queues.html"),
        "form": filter_form(membership, request.GET, action=action, error=error),
    }, status=400)


def _deflection_href(membership: Membership, period: Period) -> str | None:
    if not membership.is_manager:
        return None  # the knowledge base's analytics are the managers'
    until = period.last + timedelta(days=1)  # that page's `until` is exclusive
    return (f"{reverse('kb:analytics')}?"
            f"{urlencode({'since': period.first.isoformat(), 'until': until.isoformat()})}")


@member_required
@require_GET
def scorecard_page(request: PageRequest) -> HttpResponse:
    membership = member(request)
    action = reverse("reports:scorecard")
    read = _read(request, membership)
    if isinstance(read, Invalid):
        return _refused(request, "reports/scorecard.html", membership, action, read)
    period, filters = read
    card = scorecard(membership.tenant, period, filters)
    if request.GET.get("format") == "csv":
        make = SCORECARD_TABLES.get(request.GET.get("table") or "")
        if make is None:
            raise Http404(f"No such table; one of: {', '.join(SCORECARD_TABLES)}.")
        header, rows = make(card)
        return csv_response(f"scorecard-{request.GET['table']}", period, header, rows)
    return render(request, "reports/scorecard.html", {
        "nav": "reports", "membership": membership, "report": card,
        "form": filter_form(membership, request.GET, action=action),
        "sections": tiles(card, deflection_href=_deflection_href(membership, period)),
        "charts": scorecard_charts(card), "sla_rows": sla_table(card),
        "download": _download_query(request), "zone": period.zone.key,
    })


def _group_page(request: PageRequest, *, by_queue: bool) -> HttpResponse:
    membership = require_manager(member(request))
    name = "queues" if by_queue else "agents"
    template = f"reports/{name}.html"
    action = reverse(f"reports:{name}")
    read = _read(request, membership)
    if isinstance(read, Invalid):
        return _refused(request, template, membership, action, read)
    period, filters = read
    rows = group_report(membership.tenant, period, filters,
                        by="queue_id" if by_queue else "owner_id")
    if request.GET.get("format") == "csv":
        if (request.GET.get("table") or name) != name:
            raise Http404(f"No such table; this page has {name}.")
        header, lines = group_rows(rows, by_queue=by_queue)
        return csv_response(name, period, header, lines)
    return render(request, template, {
        "nav": "reports", "membership": membership, "report": rows, "period": period,
        "by_queue": by_queue,
        "form": filter_form(membership, request.GET, action=action),
        "lines": group_lines(rows, filters, period, by_queue=by_queue),
        "download": _download_query(request), "zone": period.zone.key,
    })


@member_required
@require_GET
def agents_page(request: PageRequest) -> HttpResponse:
    return _group_page(request, by_queue=False)


@member_required
@require_GET
def queues_page(request: PageRequest) -> HttpResponse:
    return _group_page(request, by_queue=True)


urls: list[URLPattern] = [
    path("reports/scorecard", scorecard_page, name="scorecard"),
    path("reports/agents", agents_page, name="agents"),
    path("reports/queues", queues_page, name="queues"),
]
