"""Background work of exports (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.core import clock
from casedesk.exporter.jobs import export_job_run


@task(queue_name="default")
def build_export(job_id: int) -> str:
    """Builds a full export. Safe to run twice: the job is claimed first, and the worker's
    schedule builds a job whose task was lost (`jobs.exports_due`)."""
    job = export_job_run(job_id, clock.now())
    return "nothing to do" if job is None else job.status
