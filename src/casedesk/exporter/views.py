"""Export pages: the lists' "Export CSV / JSONL" links (`/cases/export`, `/contacts/export`,
`/accounts/export`, carrying the list's filters) and the full export page
`/settings/export` (admins: ask, watch, download, delete)."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.console.filters import CaseFilterForm
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import search_term
from casedesk.exporter import lists
from casedesk.exporter.access import exports_of, get_export_for_member, require_export_admin
from casedesk.exporter.models import ExportJob
from casedesk.exporter.responses import archive_response, list_response
from casedesk.exporter.rows import Format, check_format
from casedesk.exporter.services import export_delete, export_request
from casedesk.tenancy.web import PageRequest, member, member_required

POLL_SECONDS = 2
# member_required is typed for HttpResponse; the downloads are streamed (a
# StreamingHttpResponse, a FileResponse: HttpResponseBase), which it passes through the same.


def _back(name: str, query: QueryDict) -> HttpResponse:
    params = query.copy()
    params.pop("format", None)
    target = reverse(name)
    return redirect(f"{target}?{params.urlencode()}" if params else target)


def _format(request: PageRequest) -> Format | None:
    try:
        return check_format(request.GET.get("format") or "csv")
    except ValueError as error:
        messages.error(request, f"Nothing was exported: {error}.")
        return None


def _id(request: PageRequest, name: str) -> int | None:
    raw = (request.GET.get(name) or "").strip()
    return int(raw) if raw.isdecimal() and 0 < int(raw) <= MAX_ID else None


@member_required  # type: ignore[arg-type]
@require_GET
def cases_export(request: PageRequest) -> HttpResponseBase:
    """The case list's filters (the console's own form), every matching case."""
    membership = member(request)
    fmt = _format(request)
    if fmt is None:
        return _back("console:case_list", request.GET)
    form = CaseFilterForm(request.GET or None, membership=membership)
    if request.GET and not form.is_valid():
        # The list ignores filters it does not understand; an export must not quietly
        # hand out more than the list showed.
        messages.error(request, "Nothing was exported: some filters were not understood.")
        return _back("console:case_list", request.GET)
    try:
        export = lists.case_export(membership.tenant, form.to_filters(membership), fmt)
    except DomainError as error:
        messages.error(request, f"Nothing was exported: {error.detail}")
        return _back("console:case_list", request.GET)
    export.filters = lists.filters_given(
        {k: v for k, v in form.cleaned_data.items() if k != "sort"} if request.GET else {})
    return list_response(membership=membership, export=export, fmt=fmt, now=clock.now())


@member_required  # type: ignore[arg-type]
@require_GET
def contacts_export(request: PageRequest) -> HttpResponseBase:
    """The contact list's search (name or email) and account."""
    membership = member(request)
    fmt = _format(request)
    if fmt is None:
        return _back("crm:contact_list", request.GET)
    q, account = search_term(request.GET.get("q")), _id(request, "account")
    export = lists.contact_export(membership.tenant, q=q or None, account_id=account)
    export.filters = lists.filters_given({"q": q, "account": account})
    return list_response(membership=membership, export=export, fmt=fmt, now=clock.now())


@member_required  # type: ignore[arg-type]
@require_GET
def accounts_export(request: PageRequest) -> HttpResponseBase:
    """The account list's search (name or domain)."""
    membership = member(request)
    fmt = _format(request)
    if fmt is None:
        return _back("crm:account_list", request.GET)
    q = search_term(request.GET.get("q"))
    export = lists.account_export(membership.tenant, q=q or None)
    export.filters = lists.filters_given({"q": q})
    return list_response(membership=membership, export=export, fmt=fmt, now=clock.now())


def _poll_needed(jobs: list[ExportJob]) -> bool:
    return any(job.is_pending for job in jobs)


@member_required
@require_http_methods(["GET", "POST"])
def settings_export(request: PageRequest) -> HttpResponse:
    """The full export page: the latest exports with their state; POST asks for one."""
    membership = require_export_admin(member(request))
    if request.method == "POST":
        try:
            export_request(tenant=membership.tenant, actor=membership.user, now=clock.now())
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, "The export is being made: this page shows when it "
                                      "is ready to download.")
        return redirect("exporter:settings")
    jobs = exports_of(membership)
    context = {"nav": "settings", "jobs": jobs, "poll": _poll_needed(jobs),
               "poll_seconds": POLL_SECONDS}
    if request.htmx and request.htmx.target == "export-jobs":
        return render(request, "exporter/settings_export.html#jobs", context)
    return render(request, "exporter/settings_export.html", context)


@member_required  # type: ignore[arg-type]
@require_GET
def export_download(request: PageRequest, job_id: int) -> HttpResponseBase:
    membership = member(request)
    job = get_export_for_member(membership, job_id)
    try:
        return archive_response(membership=membership, job=job, now=clock.now())
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("exporter:settings")


@member_required
@require_POST
def export_remove(request: PageRequest, job_id: int) -> HttpResponse:
    membership = member(request)
    job = get_export_for_member(membership, job_id)
    try:
        export_delete(job=job, actor=membership.user, now=clock.now())
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Deleted export {job_id}.")
    return redirect("exporter:settings")

