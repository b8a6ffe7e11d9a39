"""Background work on cases (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.cases.sla_clocks import recompute_open_clocks_now
from casedesk.core import clock


@task(queue_name="sweeps")
def recompute_open_clocks(tenant_id: int) -> int:
    """After a policy, calendar or setting changed: every open case's clocks anew. Safe to
    run twice (it computes, it does not add up)."""
    return recompute_open_clocks_now(tenant_id, clock.now())


def recompute_open_clocks_later(tenant_id: int) -> None:
    """The `sla.hooks.on_clocks_stale` hook: the recomputation, queued for the worker."""
    recompute_open_clocks.enqueue(tenant_id)
