"""The monthly SLA compliance reports API (managers and admins): the stored months, one
month's report as JSON, PDF or CSV, and generating a month again. A month is `YYYY-MM`:
anything else is a 422, a month that has not ended in the tenant's time zone a 409, and a
month without a stored report a 404. The reports are made by `compliance_job` (the worker
makes and mails each month's on the 1st of the next)."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.params.functions import Path, Query
from pydantic import Field

from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.core.schemas import Error
from casedesk.reports.compliance import ComplianceReport, from_json, month_title
from casedesk.reports.compliance_job import (
    check_month_over,
    compliance_generate,
    month_slug,
    parse_month,
    stored_report,
)
from casedesk.reports.models import MonthlyCompliance
from casedesk.reports.views.compliance import csv_download
from casedesk.tenancy.api_auth import require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["reports"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
TargetName = Literal["first_response", "resolution", "next_response"]
MONTH_HELP = "The month, `YYYY-MM` (e.g. 2026-10), in the tenant's time zone."


class ComplianceTotalOut(Schema):
    kind: TargetName
    cases: int = Field(description="Targets measured: met + breached.")
    met: int
    breached: int
    open: int = Field(description="Not yet due (or paused) when the month ended: shown, not "
                                  "counted in the attainment.")
    attainment: float | None = Field(description="met ÷ (met + breached) in percent; null "
                                                 "when nothing was measured.")


class ComplianceLineOut(ComplianceTotalOut):
    policy: str
    priority: str
    target_minutes: int
    business: bool = Field(description="The target is kept in business hours (else in "
                                       "calendar time).")


class ComplianceOffenderOut(Schema):
    case_number: str = Field(description="As shown, e.g. CS-1042.")
    subject: str
    policy: str
    kind: TargetName
    target_minutes: int
    due_at: datetime
    done_at: datetime | None = Field(description="Null when not done by the month's end.")
    overrun_minutes: int = Field(description="Calendar minutes from the due time to the work, "
                                             "or to the month's end.")


class ComplianceTrendOut(Schema):
    month: str = Field(description="YYYY-MM")
    first_response: float | None
    resolution: float | None
    next_response: float | None


class ComplianceMonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    title: str = Field(description="e.g. October 2026")
    generated_at: datetime
    mailed_at: datetime | None = Field(description="When it was mailed to the managers and "
                                                   "admins; null when not (yet).")
    totals: list[ComplianceTotalOut]


class ComplianceMonthList(Schema):
    items: list[ComplianceMonthOut] = Field(description="Every stored month, the latest "
                                                        "first.")


class ComplianceReportOut(ComplianceMonthOut):
    tenant_name: str
    time_zone: str = Field(description="The zone the month was counted in.")
    lines: list[ComplianceLineOut] = Field(description="One per policy, priority and target.")
    offenders: list[ComplianceOffenderOut] = Field(description="The longest overruns, "
                                                               "longest first (at most 20).")
    trend: list[ComplianceTrendOut] = Field(description="Attainment of the six months before, "
                                                        "oldest first, as stored then.")


def _totals(report: ComplianceReport) -> list[dict[str, Any]]:
    return [{"kind": t.kind, "cases": t.cases, "met": t.met, "breached": t.breached,
             "open": t.open, "attainment": t.attainment} for t in report.totals]


def _month_out(row: MonthlyCompliance, report: ComplianceReport) -> dict[str, Any]:
    return {"month": month_slug(row.month), "title": month_title(row.month),
            "generated_at": row.generated_at, "mailed_at": row.mailed_at,
            "totals": _totals(report)}


def _report_out(row: MonthlyCompliance, report: ComplianceReport, prefix: str
                ) -> dict[str, Any]:
    return {
        **_month_out(row, report), "tenant_name": report.tenant_name,
        "time_zone": report.time_zone,
        "lines": [{"policy": line.policy, "priority": line.priority, "kind": line.kind,
                   "target_minutes": line.target_minutes, "business": line.business,
                   "cases": line.cases, "met": line.met, "breached": line.breached,
                   "open": line.open, "attainment": line.attainment}
                  for line in report.lines],
        "offenders": [{"case_number": f"{prefix}-{o.case_number}", "subject": o.subject,
                       "policy": o.policy, "kind": o.kind, "target_minutes": o.target_minutes,
                       "due_at": o.due_at, "done_at": o.done_at,
                       "overrun_minutes": o.overrun_minutes} for o in report.offenders],
        "trend": [{"month": month_slug(p.month), **{k: p.attainment.get(k) for k in (
            "first_response", "resolution", "next_response")}} for p in report.trend],
    }


def _month(membership: Membership, month: str) -> date:
    """The month named, which must have ended (422, 409)."""
    chosen = parse_month(month)
    check_month_over(membership.tenant, chosen, clock.now())
    return chosen


def _stored(membership: Membership, month: str) -> tuple[MonthlyCompliance, ComplianceReport]:
    chosen = _month(membership, month)
    found = stored_report(membership.tenant, chosen)
    if found is None:
        raise NotFound(f"No SLA compliance report is stored for {month_title(chosen)}; "
                       f"POST /reports/compliance/{month_slug(chosen)}/generate makes it.")
    return found


def _binary(media_type: str, description: str) -> dict[str, Any]:
    """The documented 200 of a download: bytes, not JSON."""
    return {"responses": {200: {"description": description, "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/reports/compliance", response={200: ComplianceMonthList, **ERRORS},
            summary="List the stored SLA compliance reports")
def list_compliance(request: HttpRequest) -> Any:
    """Every stored month with its totals per kind of target (managers and admins)."""
    membership = require_manager(request)
    rows = MonthlyCompliance.objects.for_tenant(membership.tenant).order_by("-month")
    return {"items": [_month_out(row, from_json(row.data)) for row in rows]}


@router.get("/reports/compliance/{month}", response={200: ComplianceReportOut, **ERRORS},
            summary="Read a month's SLA compliance report")
def get_compliance(request: HttpRequest,
                   month: str = Path(..., max_length=20, description=MONTH_HELP)) -> Any:
    """The report as stored: totals, a line per policy, priority and target, the worst
    offenders and the trend (managers and admins)."""
    membership = require_manager(request)
    row, report = _stored(membership, month)
    return _report_out(row, report, membership.tenant.case_prefix)


@router.get("/reports/compliance/{month}/pdf", response=ERRORS,
            summary="Download a month's SLA compliance report as PDF",
            openapi_extra=_binary("application/pdf", "The report as an A4 PDF."))
def get_compliance_pdf(request: HttpRequest,
                       month: str = Path(..., max_length=20, description=MONTH_HELP)) -> Any:
    membership = require_manager(request)
    row, report = _stored(membership, month)
    from casedesk.reports.compliance_pdf import render_pdf  # fpdf: loaded when a PDF is asked

    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-compliance-{month_slug(row.month)}.pdf"')
    return response


@router.get("/reports/compliance/{month}/csv", response=ERRORS,
            summary="Download a month's SLA compliance report as CSV",
            openapi_extra=_binary("text/csv", "RFC 4180 CSV with a header row."))
def get_compliance_csv(
    request: HttpRequest, month: str = Path(..., max_length=20, description=MONTH_HELP),
    part: Literal["lines", "offenders"] = Query(
        "lines", description="`lines`: a row per policy, priority and target; `offenders`: "
                             "the worst offenders."),
) -> Any:
    membership = require_manager(request)
    _, report = _stored(membership, month)
    return csv_download(report, part)


@router.post("/reports/compliance/{month}/generate",
             response={200: ComplianceReportOut, **ERRORS},
             summary="Generate a month's SLA compliance report")
def generate_compliance(request: HttpRequest,
                        month: str = Path(..., max_length=20, description=MONTH_HELP)) -> Any:
    """Makes the month's report from its cases and stores it, replacing the one stored
    before (managers and admins). Generating a month again gives the same numbers unless a
    policy changed since; it is not mailed again."""
    membership = require_manager(request)
    row = compliance_generate(membership.tenant, _month(membership, month), clock.now())
    return _report_out(row, from_json(row.data), membership.tenant.case_prefix)
