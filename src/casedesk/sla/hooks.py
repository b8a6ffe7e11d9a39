"""What the SLA app tells the floors above it, and what it reads of them.

Cases keep their SLA clocks in their own columns (`cases.sla_clocks`); when a policy, a
calendar, a holiday or an SLA setting changes, the open cases' clocks must follow. `sla`
stands below `cases`, so it does not recompute them itself: it calls the hooks `cases`
registers here (`CasesConfig.ready`), once the change is committed. The policies page shows
how many open cases each policy governs, through a reader `cases` registers the same way.
"""

from collections.abc import Callable, Sequence
from functools import partial

from django.db import transaction

from casedesk.tenancy.models import Tenant
from casedesk.tenancy.services import tenant_bump_version

ClocksStale = Callable[[int], None]
_clocks_stale_hooks: list[ClocksStale] = []


def on_clocks_stale(hook: ClocksStale) -> None:
    """Registers `hook(tenant_id)`, run after commit whenever a tenant's targets change."""
    if hook not in _clocks_stale_hooks:
        _clocks_stale_hooks.append(hook)


def clocks_stale(tenant: Tenant) -> None:
    """Marks the tenant's cached policies stale and, once the change is committed, has the
    open cases' clocks follow the policies as they now are (in the background: a tenant may
    have many)."""
    tenant_bump_version(tenant, "sla_version")
    for hook in _clocks_stale_hooks:
        transaction.on_commit(partial(hook, tenant.pk))


# (tenant, policy ids, cap) -> {policy id: open cases, at most cap}
OpenCaseCounter = Callable[[Tenant, Sequence[int], int], dict[int, int]]
_counters: list[OpenCaseCounter] = []


def register_open_case_counter(counter: OpenCaseCounter) -> None:
    _counters[:] = [counter]


def open_cases_by_policy(tenant: Tenant, policy_ids: Sequence[int], cap: int) -> dict[int, int]:
    if not _counters:
        raise RuntimeError("No app has registered the SLA pages' open-case counter "
                           "(sla.hooks.register_open_case_counter).")
    return _counters[0](tenant, policy_ids, cap)
