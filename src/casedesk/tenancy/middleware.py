"""Pages see the signed-in member's tenant and show times in the tenant's zone."""

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from casedesk.core.origin import origin
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.web import current_membership

# The API authenticates by token, not by session; static files and health checks need no one.
_NOT_PAGES = ("/api/", "/static/", "/healthz")


def tenant_zone(tenant: Tenant) -> ZoneInfo | None:
    """The tenant's zone; None (the installation's zone) for a name zoneinfo does not know."""
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class TenantMiddleware:
    """Sets `request.membership` for a signed-in page request (None when the user belongs
    to no tenant) and activates the tenant's time zone, so `|date` and `|time` show its
    wall time on every page. Timestamps stay in UTC everywhere else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The audit log's "by which way in, by whom": the API names its user when it checks
        # the token.
        if request.path.startswith("/api/"):
            with origin("api"):
                return self.get_response(request)
        # Static files and health checks look up no session.
        if request.path.startswith(_NOT_PAGES) or not request.user.is_authenticated:
            with origin("web"):
                return self.get_response(request)
        with origin("web", user_id=request.user.pk, user_label=request.user.email):
            return self._page(request)

    def _page(self, request: HttpRequest) -> HttpResponse:
        membership = current_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        if membership is None:
            return self.get_response(request)
        with timezone.override(tenant_zone(membership.tenant)):
            return self.get_response(request)
