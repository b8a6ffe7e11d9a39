"""The HTTP answers the pages and the API share: a streamed list, a stored archive."""

from __future__ import annotations

from datetime import datetime

from django.core.files.storage import default_storage
from django.http import FileResponse, StreamingHttpResponse

from casedesk.core.errors import Conflict
from casedesk.exporter.lists import ListExport, file_name, list_export_start
from casedesk.exporter.models import ExportJob
from casedesk.exporter.rows import CONTENT_TYPES, Format
from casedesk.exporter.services import export_downloaded
from casedesk.tenancy.models import Membership


def list_response(*, membership: Membership, export: ListExport, fmt: Format,
                  now: datetime) -> StreamingHttpResponse:
    """The list as a download, streamed as it is read (audited when it starts)."""
    stream = list_export_start(tenant=membership.tenant, actor=membership.user, export=export,
                               fmt=fmt, now=now)
    response = StreamingHttpResponse(stream, content_type=CONTENT_TYPES[fmt])
    name = file_name(export.kind, membership.tenant, fmt, now)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def archive_response(*, membership: Membership, job: ExportJob, now: datetime
                     ) -> FileResponse:
    """The finished archive, read from storage in chunks; Conflict while it is not ready
    (or no longer: it expired)."""
    if not job.is_ready or not job.file.name:
        raise Conflict(f"Export {job.pk} has no archive to download: it is {job.status}.")
    handle = default_storage.open(job.file.name, "rb")
    export_downloaded(job=job, actor=membership.user, now=now)
    response = FileResponse(handle, as_attachment=True, content_type="application/zip",
                            filename=f"casedesk-{job.tenant.slug}-export-{job.pk}.zip")
    response["Cache-Control"] = "no-store"
    return response
