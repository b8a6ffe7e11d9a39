"""Per-process copies of what a tenant configures (routing rules, SLA policies, automation
rules, picklists, custom fields), each used while the tenant row says it is current.

Every write of such a configuration moves a version column of the tenant on in its own
transaction (`tenancy.services.tenant_bump_version`), and every request reads the tenant row,
so a process never uses a stale copy: the first request after the commit loads it again. The
tenant's creation time is part of the key because SQLite may hand a deleted tenant's id to a
new one.
"""

from collections.abc import Callable
from datetime import datetime

from casedesk.tenancy.models import Tenant


class TenantCache[T]:
    """What `load()` made of one tenant's configuration, per tenant, keyed by the tenant's
    `version_field` (`routing_version`, `sla_version`, ...)."""

    def __init__(self, version_field: str) -> None:
        self.version_field = version_field
        self._held: dict[int, tuple[tuple[int, datetime], T]] = {}

    def get(self, tenant: Tenant, load: Callable[[], T]) -> T:
        key = (getattr(tenant, self.version_field), tenant.created_at)
        held = self._held.get(tenant.pk)
        if held is None or held[0] != key:
            held = self._held[tenant.pk] = (key, load())
        return held[1]

    def forget(self, tenant_id: int) -> None:
        """Drops the copy now (a write in this process, before its version is committed)."""
        self._held.pop(tenant_id, None)

    def clear(self) -> None:
        """Forgets every tenant's copy (as a new process starts)."""
        self._held.clear()
