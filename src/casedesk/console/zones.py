"""Times on console pages are stored in UTC and shown in the tenant's time zone."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from casedesk.tenancy.models import Tenant


def tenant_zone(tenant: Tenant) -> ZoneInfo | None:
    """The tenant's zone; None (the default zone) for a name zoneinfo does not know."""
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def render_in_zone(request: HttpRequest, tenant: Tenant, template: str,
                   context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Renders with the tenant's zone active, so `|date` and `|time` show its wall time."""
    with timezone.override(tenant_zone(tenant)):
        return render(request, template, context, status=status)
