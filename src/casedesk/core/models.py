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
