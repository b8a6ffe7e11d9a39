"""Running full exports: claiming a job, building its archive, failing it cleanly, the
worker's safety net and the expiry of old archives.

A job is claimed by one conditional update (queued, or running with its lease run out), so
any number of workers may try and one builds it; a worker killed mid-build leaves a lease
that runs out, and the schedule (`exports_due`) builds the job again. The finished archive is
set on the job only by the claim that built it (`attempts` names it), so a builder that lost
its lease throws its archive away instead of replacing a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import F, Q

from casedesk.core import clock
from casedesk.exporter.archive import Progress, build_to_storage
from casedesk.exporter.models import ExportJob, ExportStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
KEEP = timedelta(days=7)  # a finished archive is deleted this long after it was made
MAX_ATTEMPTS = 3
# A queued job nobody claimed for this long had its task lost (the worker was down, or
# killed before it started): the schedule builds it.
UNCLAIMED_AFTER = timedelta(minutes=2)
ERROR_MAX = 2000


@dataclass(frozen=True)
class Claim:
    job: ExportJob
    attempt: int


def export_claim(job_id: int, now: datetime) -> Claim | None:
    """Takes the job for this worker if it is waiting, or running with its lease run out;
    None when another worker has it or it is finished."""
    free = Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, lease_until__lt=now)
    taken = ExportJob.objects.filter(free, pk=job_id).update(
        status=ExportStatus.RUNNING, lease_until=now + LEASE, attempts=F("attempts") + 1,
        started_at=now, progress=0, step="starting", error="")
    if not taken:
        return None
    job = ExportJob.objects.select_related("tenant").get(pk=job_id)
    return Claim(job, job.attempts)


def _fail(claim: Claim, message: str, now: datetime) -> None:
    ExportJob.objects.filter(pk=claim.job.pk, attempts=claim.attempt).update(
        status=ExportStatus.FAILED, error=message[:ERROR_MAX], finished_at=now,
        lease_until=None, step="")


def export_job_run(job_id: int, now: datetime) -> ExportJob | None:
    """Builds the job's archive if this worker can claim it; returns the job as it ends, or
    None when there was nothing to do. Safe to run any number of times, at once or again.
    The lease is kept alive on every progress report, by the clock's time then."""
    claim = export_claim(job_id, now)
    if claim is None:
        return None
    job = claim.job
    if claim.attempt > MAX_ATTEMPTS:
        _fail(claim, f"Gave up after {MAX_ATTEMPTS} attempts: the worker building it "
                     "stopped each time.", now)
        return ExportJob.objects.get(pk=job.pk)
    tell = clock.now

    def report(percent: int, step: str) -> None:
        ExportJob.objects.filter(pk=job.pk, attempts=claim.attempt).update(
            progress=min(percent, 99), step=step[:100], lease_until=tell() + LEASE)

    name = f"exports/{job.tenant.slug}/export-{job.pk}-{now:%Y%m%d-%H%M%S}.zip"
    try:
        stored, size, result = build_to_storage(job.tenant, name, now=now,
                                                progress=Progress(report))
    except Exception as error:
        log.exception("Export %s of tenant %s failed", job.pk, job.tenant.slug)
        _fail(claim, f"The export failed: {error.__class__.__name__}: {error}", tell())
        return ExportJob.objects.get(pk=job.pk)
    finished = tell()
    won = ExportJob.objects.filter(pk=job.pk, attempts=claim.attempt).update(
        status=ExportStatus.DONE, progress=100, step="", file=stored, size=size,
        counts=result.counts, finished_at=finished, expires_at=finished + KEEP,
        lease_until=None)
    if not won:
        # Another worker took the job over while this one was slow: its archive stands.
        default_storage.delete(stored)
    return ExportJob.objects.get(pk=job.pk)


def _delete_file(job: ExportJob) -> None:
    if job.file.name:
        default_storage.delete(job.file.name)


def exports_expire(now: datetime) -> int:
    """Deletes the archives past their expiry; the jobs stay, marked expired."""
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        _delete_file(job)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, file="")
    return expired


def jobs_stranded(now: datetime) -> list[int]:
    """Jobs whose task was lost or whose builder died: queued and unclaimed for a while, or
    running with the lease run out."""
    return list(ExportJob.objects.filter(
        Q(status=ExportStatus.QUEUED, created_at__lte=now - UNCLAIMED_AFTER)
        | Q(status=ExportStatus.RUNNING, lease_until__lt=now))
        .order_by("created_at", "pk").values_list("pk", flat=True))


def exports_due(now: datetime) -> Iterator[str]:
    """The worker's schedule: builds one stranded job per turn, and expires old archives."""
    for job_id in jobs_stranded(now)[:1]:
        job = export_job_run(job_id, now)
        if job is not None:
            yield f"Export {job.pk} of {job.tenant.slug}: {job.status} (picked up again)"
    expired = exports_expire(now)
    if expired:
        yield f"Exports: {expired} archive(s) past their {KEEP.days} days deleted"


def job_file_delete(job: ExportJob) -> None:
    """Deletes the job's archive from storage (the caller deletes or marks the job)."""
    _delete_file(job)
