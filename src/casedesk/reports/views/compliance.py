"""The monthly SLA compliance pages (managers and admins; agents get 403):
`/reports/compliance` lists the stored months with their headline attainment and offers to
generate (or re-generate) a month that has ended; `/reports/compliance/<YYYY-MM>` shows a
report as tables (totals, a table per policy, the worst offenders linking to their cases,
the trend); `.pdf` and `.csv` download it (`.csv?part=offenders` the offenders: one shape of
row per file, see `compliance_csv`). A month that is not a month, or has no stored report,
is a 404. The reports are made by `compliance_job`; these views only read and render."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path
from django.views.decorators.http import require_GET, require_http_methods

from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.reports.compliance import (
    KIND_LABELS,
    TARGET_KINDS,
    ComplianceReport,
    TargetKind,
    add_months,
    format_attainment,
    format_minutes,
    from_json,
    month_title,
)
from casedesk.reports.compliance_csv import lines_csv, offenders_csv
from casedesk.reports.compliance_job import (
    compliance_generate,
    current_month,
    month_slug,
    parse_month,
    stored_report,
)
from casedesk.reports.models import MonthlyCompliance
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.web import PageRequest, member, member_required, require_manager

OFFERED_MONTHS = 24  # the generate form offers the months before this one, back this far
_MONTH = r"(?P<month>[0-9]{4}-[0-9]{2})"


class GenerateForm(forms.Form):
    month = forms.CharField(max_length=7, label="Month")

    def clean_month(self) -> date:
        try:
            return parse_month(self.cleaned_data["month"])
        except Invalid as error:
            raise forms.ValidationError(error.detail) from None


# --- what the templates show --------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    cases: int
    met: int
    breached: int
    open: int
    attainment: str  # "93.3%", or "—" where nothing was measured
    percent: float | None  # for the meter


@dataclass(frozen=True)
class LineView:
    priority: str
    target: str
    figures: Figures


@dataclass(frozen=True)
class PolicyView:
    name: str
    lines: list[LineView]


@dataclass(frozen=True)
class OffenderView:
    case: str  # as shown, e.g. CS-1042
    subject: str
    policy: str
    target: str
    due_at: datetime
    done_at: datetime | None
    overrun: str


@dataclass(frozen=True)
class TrendView:
    month: date
    slug: str
    title: str
    attainment: list[str]  # in TARGET_KINDS order
    stored: bool
    is_this: bool


@dataclass(frozen=True)
class MonthView:
    month: date
    slug: str
    title: str
    generated_at: datetime
    mailed_at: datetime | None
    headline: list[tuple[str, Figures]]


def _figures(cases: int, met: int, breached: int, still: int, value: float | None
             ) -> Figures:
    return Figures(cases=cases, met=met, breached=breached, open=still,
                   attainment=format_attainment(value),
                   percent=round(value, 1) if value is not None else None)


def _target(kind: TargetKind, minutes: int, business: bool) -> str:
    hours = "business hours" if business else "calendar time"
    return f"{KIND_LABELS[kind]} within {format_minutes(minutes)} ({hours})"


def _headline(report: ComplianceReport) -> list[tuple[str, Figures]]:
    return [(KIND_LABELS[t.kind], _figures(t.cases, t.met, t.breached, t.open, t.attainment))
            for t in report.totals]


def _policies(report: ComplianceReport) -> list[PolicyView]:
    grouped: dict[str, list[LineView]] = {}
    for line in report.lines:
        grouped.setdefault(line.policy, []).append(LineView(
            priority=line.priority.capitalize(),
            target=_target(line.kind, line.target_minutes, line.business),
            figures=_figures(line.cases, line.met, line.breached, line.open,
                             line.attainment)))
    return [PolicyView(name=name, lines=lines) for name, lines in grouped.items()]


def _offenders(report: ComplianceReport, tenant: Tenant) -> list[OffenderView]:
    return [OffenderView(case=f"{tenant.case_prefix}-{o.case_number}", subject=o.subject,
                         policy=o.policy,
                         target=f"{KIND_LABELS[o.kind]}, {format_minutes(o.target_minutes)}",
                         due_at=o.due_at, done_at=o.done_at,
                         overrun=format_minutes(o.overrun_minutes))
            for o in report.offenders]


def _trend(report: ComplianceReport, stored: set[date]) -> list[TrendView]:
    points = [(p.month, p.attainment) for p in report.trend]
    points.append((report.month, {t.kind: t.attainment for t in report.totals}))
    return [TrendView(month=month, slug=month_slug(month), title=month_title(month),
                      attainment=[format_attainment(figures.get(k)) for k in TARGET_KINDS],
                      stored=month in stored, is_this=month == report.month)
            for month, figures in points]


def _months(tenant: Tenant) -> list[MonthView]:
    found = []
    for row in MonthlyCompliance.objects.for_tenant(tenant).order_by("-month"):
        report = from_json(row.data)
        found.append(MonthView(month=row.month, slug=month_slug(row.month),
                               title=month_title(row.month), generated_at=row.generated_at,
                               mailed_at=row.mailed_at, headline=_headline(report)))
    return found


def _offered(tenant: Tenant, stored: set[date]) -> list[tuple[str, str]]:
    """(value, label) of the months the form offers: the ended ones, the latest first."""
    this_month = current_month(tenant, clock.now())
    months = [add_months(this_month, -back) for back in range(1, OFFERED_MONTHS + 1)]
    return [(month_slug(m), month_title(m) + (" (stored: generate again)" if m in stored
                                              else "")) for m in months]


# --- pages ---------------------------------------------------------------------------------------

@member_required
@require_http_methods(["GET", "POST"])
def compliance_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    if request.method == "GET":
        return _list_page(request, membership, GenerateForm())
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return _list_page(request, membership, form, status=Invalid.status_code)
    month = form.cleaned_data["month"]
    try:
        compliance_generate(membership.tenant, month, clock.now())
    except DomainError as error:  # the month has not ended yet
        add_domain_error(form, error)
        return _list_page(request, membership, form, status=error.status_code)
    messages.success(request, f"The report for {month_title(month)} was made.")
    return redirect("reports:compliance_month", month_slug(month))


def _list_page(request: PageRequest, membership: Membership, form: GenerateForm, *,
               status: int = 200) -> HttpResponse:
    months = _months(membership.tenant)
    stored = {m.month for m in months}
    return render(request, "reports/compliance_list.html", {
        "nav": "reports", "months": months, "form": form,
        "offered": _offered(membership.tenant, stored),
        "chosen": form.data.get("month", ""), "kinds": [KIND_LABELS[k] for k in TARGET_KINDS],
    }, status=status)


def _stored(membership: Membership, month: str) -> tuple[MonthlyCompliance, ComplianceReport]:
    """The stored report of `month` (YYYY-MM); 404 for no such month or no report."""
    try:
        found = stored_report(membership.tenant, parse_month(month))
    except Invalid:
        found = None
    if found is None:
        raise Http404("No SLA compliance report is stored for this month.")
    return found


@member_required
@require_GET
def compliance_month(request: PageRequest, month: str) -> HttpResponse:
    membership = require_manager(member(request))
    row, report = _stored(membership, month)
    stored = set(MonthlyCompliance.objects.for_tenant(membership.tenant)
                 .values_list("month", flat=True))
    return render(request, "reports/compliance_month.html", {
        "nav": "reports", "report": report, "row": row, "slug": month_slug(report.month),
        "title": month_title(report.month), "zone": ZoneInfo(report.time_zone),
        "headline": _headline(report), "policies": _policies(report),
        "offenders": _offenders(report, membership.tenant), "trend": _trend(report, stored),
        "kinds": [KIND_LABELS[k] for k in TARGET_KINDS],
    })


@member_required
@require_GET
def compliance_pdf(request: PageRequest, month: str) -> HttpResponse:
    membership = require_manager(member(request))
    _, report = _stored(membership, month)
    from casedesk.reports.compliance_pdf import render_pdf  # fpdf: loaded when a PDF is asked

    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-compliance-{month_slug(report.month)}.pdf"')
    return response


@member_required
@require_GET
def compliance_csv(request: PageRequest, month: str) -> HttpResponse:
    membership = require_manager(member(request))
    _, report = _stored(membership, month)
    part = request.GET.get("part", "lines")
    if part not in ("lines", "offenders"):
        raise Http404("The CSV parts are lines and offenders.")
    return csv_download(report, part)


def csv_download(report: ComplianceReport, part: str) -> HttpResponse:
    """The report's lines (or, `part="offenders"`, its worst offenders) as a CSV download;
    the page and the API send the same file."""
    body = lines_csv(report) if part == "lines" else offenders_csv(report)
    suffix = "" if part == "lines" else "-offenders"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-compliance-{month_slug(report.month)}{suffix}.csv"')
    return response


urls: list[URLPattern] = [
    path("reports/compliance", compliance_list, name="compliance"),
    re_path(rf"^reports/compliance/{_MONTH}$", compliance_month, name="compliance_month"),
    re_path(rf"^reports/compliance/{_MONTH}\.pdf$", compliance_pdf, name="compliance_pdf"),
    re_path(rf"^reports/compliance/{_MONTH}\.csv$", compliance_csv, name="compliance_csv"),
]
