"""The tenant-scoped base every tenant-owned row inherits."""

from typing import Any, Self

from django.db import models


class TenantQuerySet[M: models.Model](models.QuerySet[M]):
    def for_tenant(self, tenant: Any) -> Self:
        return self.filter(tenant=tenant)


class TenantScoped(models.Model):
    """A row owned by one tenant; reach it only through `objects.for_tenant(tenant)`."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class ApiAuthFailures(models.Model):
    """A run of failed API-token authentications from one client (an IPv4 address or an IPv6
    /64 network), for the token throttle in `core.throttle`. The run ends once the cool-off
    passes without another failure; stale rows are deleted as new ones are made."""

    client = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField()
    last_failure_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.client}: {self.failures} failures, last at {self.last_failure_at}"
