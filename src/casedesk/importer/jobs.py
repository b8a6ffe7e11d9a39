"""Imports started from the settings page: upload and dry run now, the import itself in the
worker, with its progress on the job's row for the page to poll.

The uploaded files are kept in Django's storage (local disk, or S3-compatible storage by
setting), so any worker can read them. A queued job is handed to the task queue once its
row has committed; the worker's schedule also takes up queued jobs and jobs whose lease ran
out (a worker killed mid-run), which is safe because an import is idempotent: a second run
skips what the first one wrote.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.importer.formats import READERS
from casedesk.importer.mapping import Mapping, mapping_from_json
from casedesk.importer.models import ImportJob, JobStatus
from casedesk.importer.planning import Plan
from casedesk.importer.services import import_check, import_run
from casedesk.importer.sources import MAX_FILE_BYTES, Problem, SourceFile, csv_header
from casedesk.tenancy.models import Tenant, User

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_FILES = 10
MAX_PROBLEMS_KEPT = 500


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base)[:100]


def _problems(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"where": p.where, "message": p.message} for p in problems[:MAX_PROBLEMS_KEPT]]


def job_files(job: ImportJob) -> list[SourceFile]:
    """The job's files, read back from storage."""
    files = []
    for item in job.files:
        with default_storage.open(item["path"], "rb") as handle:
            files.append(SourceFile(name=item["name"], data=handle.read()))
    return files


def job_headers(job: ImportJob) -> list[str]:
    """The columns of a CSV job's first file (the page maps them), [] for other formats."""
    if job.format != "csv" or not job.files:
        return []
    return csv_header(job_files(job)[0])


def _record_check(job: ImportJob, plan: Plan) -> None:
    job.counts = plan.counts()
    job.problems = _problems(plan.problems)
    job.problem_count = len(plan.problems)
    job.total = plan.total
    job.done = 0


def job_create(*, tenant: Tenant, actor: User | None, format: str, uploads: list[Upload],
               mapping: Mapping, skip_invalid: bool, now: datetime) -> ImportJob:
    """Stores the uploads and dry-runs them: the job the page then shows, ready to start.
    Invalid for an unknown format, no files, or a file too large."""
    if format not in READERS:
        raise Invalid(f"Unknown format {format!r}.", field="format")
    if not uploads:
        raise Invalid("Choose at least one file to import.", field="files")
    if len(uploads) > MAX_FILES:
        raise Invalid(f"At most {MAX_FILES} files at once.", field="files")
    for upload in uploads:
        if len(upload.data) > MAX_FILE_BYTES:
            raise Invalid(f"{upload.name} is larger than {MAX_FILE_BYTES // 2**20} MB.",
                          field="files")
    plan = import_check(tenant, format, [SourceFile(u.name, u.data) for u in uploads],
                        mapping)
    folder = f"imports/{tenant.pk}/{uuid.uuid4().hex}"
    stored = [{"name": _safe_name(u.name),
               "path": default_storage.save(f"{folder}/{_safe_name(u.name)}",
                                            ContentFile(u.data))} for u in uploads]
    job = ImportJob(tenant=tenant, created_by=actor, format=format, files=stored,
                    mapping=mapping.as_json(), skip_invalid=skip_invalid,
                    status=JobStatus.CHECKED, created_at=now)
    _record_check(job, plan)
    job.save()
    return job


def job_recheck(*, job: ImportJob, mapping: Mapping, skip_invalid: bool) -> ImportJob:
    """The dry run again with another mapping (the CSV columns chosen on the page)."""
    if job.status != JobStatus.CHECKED:
        raise Conflict("This import has started; its mapping cannot change any more.")
    plan = import_check(job.tenant, job.format, job_files(job), mapping)
    job.mapping, job.skip_invalid = mapping.as_json(), skip_invalid
    _record_check(job, plan)
    job.save(update_fields=["mapping", "skip_invalid", "counts", "problems",
                            "problem_count", "total", "done"])
    return job


def job_start(*, job: ImportJob, now: datetime) -> ImportJob:
    """Queues a checked job for the worker (once its row has committed). Conflict when it
    was started already, or when rows were refused and skipping them was not chosen."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk, tenant_id=job.tenant_id)
        if locked.status != JobStatus.CHECKED:
            raise Conflict("This import was started already.")
        if locked.problem_count and not locked.skip_invalid:
            raise Conflict(f"{locked.problem_count} row(s) are refused: fix the files, or "
                           "choose to skip the refused rows.")
        locked.status, locked.lease_until = JobStatus.QUEUED, now
        locked.save(update_fields=["status", "lease_until"])
        transaction.on_commit(partial(_enqueue, locked.pk))
    return locked


def _enqueue(job_id: int) -> None:
    from casedesk.importer.tasks import import_job_run  # the task module imports this one

    try:
        import_job_run.enqueue(job_id)
    except Exception:
        # The worker's schedule takes the job up anyway (`jobs_run_due`).
        log.exception("Could not enqueue import job %s", job_id)


def _claim(job_id: int | None, now: datetime) -> ImportJob | None:
    due = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_until__lt=now)
    with transaction.atomic():
        qs = ImportJob.objects.select_for_update(skip_locked=True, of=("self",)).filter(due)
        if job_id is not None:
            qs = qs.filter(pk=job_id)
        job = qs.select_related("tenant", "created_by").order_by("created_at").first()
        if job is None:
            return None
        job.status, job.lease_until = JobStatus.RUNNING, now + LEASE
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "lease_until", "started_at"])
    return job


def job_run(job_id: int | None, now: datetime) -> ImportJob | None:
    """Claims the job (or the next due one) and imports it, keeping its progress on the row;
    None when there was nothing to claim (done, or another worker has it)."""
    job = _claim(job_id, now)
    if job is None:
        return None

    def progress(done: int, total: int) -> None:
        # The lease runs from the wall clock: a long import keeps renewing it.
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total,
                                                   lease_until=clock.now() + LEASE)

    try:
        outcome = import_run(tenant=job.tenant, actor=job.created_by, format=job.format,
                             files=job_files(job), mapping=mapping_from_json(job.mapping),
                             now=now, skip_invalid=job.skip_invalid, progress=progress,
                             job_id=job.pk)
    except Exception as error:
        log.exception("Import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, failure=str(error)[:2000], finished_at=now,
            lease_until=None)
        job.refresh_from_db()
        return job
    job.status = JobStatus.DONE if outcome.written else JobStatus.FAILED
    job.failure = "" if outcome.written else "Rows were refused: nothing was imported."
    job.counts = outcome.counts
    job.problems = _problems(outcome.problems)
    job.problem_count = len(outcome.problems)
    job.done = job.total = outcome.plan.total
    job.finished_at, job.lease_until = now, None
    job.save()
    return job


def jobs_run_due(now: datetime) -> list[ImportJob]:
    """The worker's schedule: every job waiting, or left behind by a worker that died."""
    ran = []
    while (job := job_run(None, now)) is not None:
        ran.append(job)
    return ran
