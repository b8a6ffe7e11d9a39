"""Writes of full exports: asking for one, deleting one, and the audit of each download."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction

from casedesk.core.errors import Conflict
from casedesk.exporter.jobs import job_file_delete
from casedesk.exporter.models import ExportJob, ExportStatus
from casedesk.exporter.tasks import build_export
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Tenant, User


def _enqueue(job_id: int) -> None:
    build_export.enqueue(job_id)


def export_request(*, tenant: Tenant, actor: User | None, now: datetime,
                   in_background: bool = True) -> ExportJob:
    """Asks for a full export of the tenant: a queued job, recorded in the audit log
    (`export.tenant`), its build queued for the worker once this commits. Conflict while
    another export of the tenant is still being made (one at a time is plenty, and a second
    would only double the load). Admins only: the caller checks. `in_background` off: the
    caller builds it (`casedesk export`), nothing is queued."""
    with transaction.atomic():
        # The tenant's row lock makes two requests at once see each other.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if ExportJob.objects.filter(tenant=tenant, status__in=[
                ExportStatus.QUEUED, ExportStatus.RUNNING]).exists():
            raise Conflict("An export of this tenant is already being made: wait for it to "
                           "finish.")
        job = ExportJob.objects.create(tenant=tenant, requested_by=actor, created_at=now)
        audit_record(tenant=tenant, actor=actor, action="export.tenant", target_type="export",
                     target_id=job.pk, target_label=f"Full export {job.pk}",
                     detail={"format": "zip"}, now=now)
        if in_background:
            transaction.on_commit(partial(_enqueue, job.pk))
    return job


def export_downloaded(*, job: ExportJob, actor: User | None, now: datetime) -> None:
    """Records a download of the archive in the audit log (`export.downloaded`): the data
    left the desk then."""
    audit_record(tenant=job.tenant_id, actor=actor, action="export.downloaded",
                 target_type="export", target_id=job.pk,
                 target_label=f"Full export {job.pk}", detail={"size": job.size}, now=now)


def export_delete(*, job: ExportJob, actor: User | None, now: datetime) -> None:
    """Deletes an export and its archive (`export.deleted` in the audit log). Conflict while
    the worker is building it."""
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None:
            return
        if locked.status == ExportStatus.RUNNING:
            raise Conflict("The export is being made: delete it when it has finished.")
        audit_record(tenant=job.tenant_id, actor=actor, action="export.deleted",
                     target_type="export", target_id=job.pk,
                     target_label=f"Full export {job.pk}", detail={"status": locked.status},
                     now=now)
        locked.delete()
        transaction.on_commit(partial(job_file_delete, locked))
