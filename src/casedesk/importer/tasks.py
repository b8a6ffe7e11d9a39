"""Background work of imports (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.core import clock
from casedesk.importer.jobs import job_run


@task(queue_name="default")
def import_job_run(job_id: int) -> str:
    """Runs a queued import. Safe to run twice: a job already claimed or done is left
    alone, and a re-run of an import changes nothing it wrote."""
    job = job_run(job_id, clock.now())
    return job.status if job is not None else "not due"
