"""The import pages, for admins: `/settings/import` (upload, recent imports) and an import's
page (dry-run report, CSV columns, start, progress, summary)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.importer.access import job_for
from casedesk.importer.forms import ColumnsForm, UploadForm
from casedesk.importer.jobs import (
    Upload,
    job_create,
    job_headers,
    job_recheck,
    job_start,
)
from casedesk.importer.mapping import Mapping, mapping_from_json, mapping_load, suggest_columns
from casedesk.importer.models import ImportJob, JobStatus
from casedesk.importer.sources import SourceError
from casedesk.tenancy.web import PageRequest, member, member_required, require_admin

RECENT = 20


def _upload_page(request: PageRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    jobs = (ImportJob.objects.for_tenant(member(request).tenant)
            .select_related("created_by").order_by("-created_at")[:RECENT])
    return render(request, "importer/import.html",
                  {"nav": "settings", "form": form, "jobs": jobs}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def import_page(request: PageRequest) -> HttpResponse:
    """Upload an export: it is checked at once (dry run), then shown on its own page."""
    membership = require_admin(member(request))
    if request.method == "GET":
        return _upload_page(request, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mapping = (mapping_load(data["mapping"].read()) if data["mapping"]
                       else Mapping())
            job = job_create(tenant=membership.tenant, actor=membership.user,
                             format=data["format"], mapping=mapping,
                             uploads=[Upload(f.name or "upload", f.read())
                                      for f in data["export_files"]],
                             skip_invalid=data["skip_invalid"], now=clock.now())
        except Invalid as error:
            add_domain_error(form, error, fields={"files": "export_files"})
        else:
            return redirect("importer:job", job_id=job.pk)
    return _upload_page(request, form, status=Invalid.status_code)


def _columns_form(job: ImportJob, headers: list[str], data: object = None) -> ColumnsForm:
    columns = job.mapping.get("columns") or suggest_columns(headers)
    initial = {f"col_{name}": header for name, header in columns.items()}
    initial["skip_invalid"] = job.skip_invalid
    return ColumnsForm(data, headers=headers, tenant_id=job.tenant_id,
                       initial=initial)


def _job_page(request: PageRequest, job: ImportJob, form: ColumnsForm | None = None,
              status: int = 200) -> HttpResponse:
    if form is None and job.format == "csv" and job.status == JobStatus.CHECKED:
        try:
            form = _columns_form(job, job_headers(job))
        except SourceError:
            form = None
    return render(request, "importer/job.html",
                  {"nav": "settings", "job": job, "columns_form": form}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def job_page(request: PageRequest, job_id: int) -> HttpResponse:
    """An import: its dry run's report; a POST checks a CSV file again with the columns
    chosen."""
    membership = require_admin(member(request))
    job = job_for(membership, job_id)
    if request.method == "GET":
        return _job_page(request, job)
    try:
        form = _columns_form(job, job_headers(job), request.POST)
    except SourceError as error:
        messages.error(request, error.message)
        return redirect("importer:job", job_id=job.pk)
    if form.is_valid():
        stored = mapping_from_json(job.mapping)
        mapping = Mapping(columns=form.columns(), values=stored.values,
                          custom_fields=stored.custom_fields)
        try:
            job_recheck(job=job, mapping=mapping,
                        skip_invalid=form.cleaned_data["skip_invalid"])
        except (Invalid, Conflict) as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Checked again with these columns.")
            return redirect("importer:job", job_id=job.pk)
    return _job_page(request, job, form, status=Invalid.status_code)


@member_required
@require_POST
def job_start_view(request: PageRequest, job_id: int) -> HttpResponse:
    """Hands a checked import to the worker."""
    membership = require_admin(member(request))
    job = job_for(membership, job_id)
    try:
        job_start(job=job, now=clock.now())
    except Conflict as error:
        messages.error(request, error.detail)
    return redirect("importer:job", job_id=job.pk)


@member_required
def job_progress(request: PageRequest, job_id: int) -> HttpResponse:
    """The progress bar (polled by htmx while the worker imports), then the summary."""
    membership = require_admin(member(request))
    job = job_for(membership, job_id)
    return render(request, "importer/partials/_progress.html", {"job": job})
