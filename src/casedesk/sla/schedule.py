"""The scheduled breach sweep: tenants that set `sla_sweep_minutes` are swept that often by
whichever `casedesk worker` gets to them first.

A tenant's turn is claimed with a conditional UPDATE of its `sla_swept_at`, so any number of
workers can run the schedule and each turn is swept once; a worker that dies mid-sweep loses
nothing (the sweep's own transaction rolls back and the next turn sweeps it all again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from casedesk.sla.services import SweepReport, sla_sweep
from casedesk.tenancy.models import Tenant


def run_due_sweeps(now: datetime) -> dict[str, SweepReport]:
    """Sweeps every tenant whose interval has passed since its last scheduled sweep."""
    done = {}
    for tenant in Tenant.objects.filter(sla_sweep_minutes__gt=0):
        last = tenant.sla_swept_at
        if last is not None and now < last + timedelta(minutes=tenant.sla_sweep_minutes):
            continue
        claimed = Tenant.objects.filter(
            Q(sla_swept_at=last) if last is not None else Q(sla_swept_at__isnull=True),
            pk=tenant.pk,
        ).update(sla_swept_at=now)
        if claimed:
            done[tenant.slug] = sla_sweep(now=now, tenant=tenant)
    return done
