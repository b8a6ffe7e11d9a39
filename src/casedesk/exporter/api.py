"""The export API: filtered lists streamed as CSV or JSON Lines (any member, what they may
list), and full tenant exports built by the worker (admins)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.params.functions import Path, Query
from pydantic import Field

from casedesk.cases.api import list_filters
from casedesk.cases.schemas import CaseListFilters, StatusName
from casedesk.core import clock
from casedesk.core.limits import max_length
from casedesk.core.priority import PriorityName
from casedesk.core.schemas import MAX_ID, Error, Text
from casedesk.crm.models import Contact
from casedesk.exporter import lists
from casedesk.exporter.access import exports_of, get_export_for_member, require_export_admin
from casedesk.exporter.models import ExportJob
from casedesk.exporter.responses import archive_response, list_response
from casedesk.exporter.services import export_delete, export_request
from casedesk.tenancy.api_auth import member
from casedesk.tenancy.presenters import PersonOut, person

router = Router(tags=["exporter"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
ExportFormat = Literal["csv", "jsonl"]
FORMAT_HELP = ("`csv` (UTF-8 with a byte-order mark, a header row, formula-like cells "
               "prefixed with an apostrophe) or `jsonl` (one JSON object per line).")
JobId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


def _streamed(description: str) -> dict[str, Any]:
    """The documented 200 of a list download: CSV or JSON Lines, not JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": description, "content": {
        "text/csv": binary, "application/x-ndjson": binary}}}}


class ExporterJobOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed", "expired"]
    progress: int = Field(description="Percent done.")
    step: str = Field(description="What it is writing now, while running.")
    error: str = Field(description="Why it failed, when it did.")
    size: int = Field(description="The archive's size in bytes, when done.")
    counts: dict[str, int] = Field(description="Rows per table, inbound messages, files.")
    requested_by: PersonOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None = Field(description="When the archive is deleted.")
    download_url: str | None = Field(description="The archive, once done.")


class ExporterJobList(Schema):
    items: list[ExporterJobOut] = Field(description="The latest 50 exports, newest first.")


def _job_out(job: ExportJob) -> dict[str, Any]:
    return {
        "id": job.pk, "status": job.status, "progress": job.progress, "step": job.step,
        "error": job.error, "size": job.size, "counts": job.counts,
        "requested_by": person(job.requested_by), "created_at": job.created_at,
        "started_at": job.started_at, "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "download_url": (reverse("api:exporter_download", args=[job.pk])
                         if job.is_ready else None),
    }


@router.get("/export/cases", response=ERRORS, summary="Export cases (CSV or JSON Lines)",
            openapi_extra=_streamed("The cases the filters match, newest first, streamed."))
def export_cases(
    request: HttpRequest, filters: CaseListFilters = Query(...),
    status: list[StatusName] | None = Query(None, description="Repeat for several."),
    priority: list[PriorityName] | None = Query(None, description="Repeat for several."),
    fmt: ExportFormat = Query("csv", alias="format", description=FORMAT_HELP),
) -> Any:
    """Every case `GET /cases` would list with the same filters (no paging), streamed."""
    membership = member(request)
    now = clock.now()
    found = list_filters(membership, filters, now, status=status, priority=priority)
    export = lists.case_export(membership.tenant, found, fmt)
    export.filters = lists.filters_given(
        {"status": status, "priority": priority, **filters.dict()})
    return list_response(membership=membership, export=export, fmt=fmt, now=now)


@router.get("/export/contacts", response=ERRORS, summary="Export contacts (CSV or JSON Lines)",
            openapi_extra=_streamed("The contacts the filters match, by name, streamed."))
def export_contacts(
    request: HttpRequest, account: int | None = Query(None, ge=1, le=MAX_ID),
    email: Text | None = Query(None, max_length=max_length(Contact, "email")),
    q: Text | None = Query(None, max_length=200, description="Words in name or email."),
    fmt: ExportFormat = Query("csv", alias="format", description=FORMAT_HELP),
) -> Any:
    """Every contact `GET /contacts` would list with the same filters, streamed."""
    membership = member(request)
    export = lists.contact_export(membership.tenant, q=q, account_id=account, email=email)
    export.filters = lists.filters_given({"account": account, "email": email, "q": q})
    return list_response(membership=membership, export=export, fmt=fmt, now=clock.now())


@router.get("/export/accounts", response=ERRORS, summary="Export accounts (CSV or JSON Lines)",
            openapi_extra=_streamed("The accounts the search matches, by name, streamed."))
def export_accounts(
    request: HttpRequest,
    q: Text | None = Query(None, max_length=200, description="Words in the name."),
    fmt: ExportFormat = Query("csv", alias="format", description=FORMAT_HELP),
) -> Any:
    """Every account `GET /accounts` would list with the same search, streamed."""
    membership = member(request)
    # As `GET /accounts`: the API's `q` searches names only.
    export = lists.account_export(membership.tenant, q=q, fields=("name",))
    export.filters = lists.filters_given({"q": q})
    return list_response(membership=membership, export=export, fmt=fmt, now=clock.now())


@router.post("/exports", response={201: ExporterJobOut, **ERRORS},
             summary="Ask for a full export of the tenant")
def create_export(request: HttpRequest) -> Any:
    """Queues a full export (a zip of every record, the raw mail and the files) for the
    worker (admins). 409 while another one is being made. Poll `GET /exports/{id}` until
    `status` is `done`, then download it from `download_url`."""
    membership = require_export_admin(member(request))
    job = export_request(tenant=membership.tenant, actor=membership.user, now=clock.now())
    job.refresh_from_db()
    return 201, _job_out(job)


@router.get("/exports", response={200: ExporterJobList, **ERRORS},
            summary="List the tenant's full exports")
def list_exports(request: HttpRequest) -> Any:
    return {"items": [_job_out(job) for job in exports_of(member(request))]}


@router.get("/exports/{job_id}", response={200: ExporterJobOut, **ERRORS},
            summary="Read a full export's state")
def get_export(request: HttpRequest, job_id: JobId) -> Any:
    return _job_out(get_export_for_member(member(request), job_id))


@router.get("/exports/{job_id}/download", response=ERRORS, url_name="exporter_download",
            summary="Download a full export",
            openapi_extra={"responses": {200: {"description": "The zip archive.", "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_export(request: HttpRequest, job_id: JobId) -> Any:
    """The archive (409 until it is done, and after it expired)."""
    membership = member(request)
    job = get_export_for_member(membership, job_id)
    return archive_response(membership=membership, job=job, now=clock.now())


@router.delete("/exports/{job_id}", response={204: None, **ERRORS},
               summary="Delete a full export")
def delete_export(request: HttpRequest, job_id: JobId) -> Any:
    """Deletes the export and its archive (409 while it is being made)."""
    membership = member(request)
    job = get_export_for_member(membership, job_id)
    export_delete(job=job, actor=membership.user, now=clock.now())
    return 204, None
