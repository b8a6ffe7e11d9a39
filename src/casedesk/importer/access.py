"""Fetching an import job for a member: their tenant's, or not found."""

from casedesk.core.errors import NotFound
from casedesk.importer.models import ImportJob
from casedesk.tenancy.models import Membership


def job_for(membership: Membership, job_id: int) -> ImportJob:
    job = (ImportJob.objects.for_tenant(membership.tenant).select_related("tenant")
           .filter(pk=job_id).first())
    if job is None:
        raise NotFound("No such import.")
    return job
