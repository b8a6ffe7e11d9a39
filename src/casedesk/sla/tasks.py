"""Background work of the SLA app (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.sla.services import recompute_open_clocks_now


@task(queue_name="sweeps")
def recompute_open_clocks(tenant_id: int) -> int:
    """After a policy, calendar or setting changed: every open case's clocks anew. Safe to
    run twice (it computes, it does not add up)."""
    return recompute_open_clocks_now(tenant_id)
