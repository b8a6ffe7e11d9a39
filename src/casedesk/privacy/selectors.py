"""Reads for the privacy pages, tenant-scoped."""

from django.db.models import QuerySet

from casedesk.privacy.models import AnonymisedCase, Erasure


def erasures_recent(tenant_id: int, limit: int = 20) -> QuerySet[Erasure]:
    return (Erasure.objects.filter(tenant_id=tenant_id).select_related("erased_by")
            .order_by("-at", "-pk")[:limit])


def anonymised_count(tenant_id: int) -> int:
    return AnonymisedCase.objects.filter(tenant_id=tenant_id).count()
