"""The signed-in member behind a page request, and the decorator every page view uses.

A user may belong to several tenants; the session remembers which one they are working in
(the tenant switcher changes it). Everything a view reads is scoped to that membership.
`TenantMiddleware` (`tenancy.middleware`) finds the membership once per request and makes the
tenant's time zone the current one; `member_required` signs people in and refuses the rest.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.core.errors import NotFound, PermissionDenied
from casedesk.core.pages import HtmxRequest
from casedesk.core.redirects import MAX_TARGET
from casedesk.core.rows import Related
from casedesk.tenancy.models import Membership


class PageRequest(HtmxRequest):
    """A signed-in page request, as `TenantMiddleware` and `member_required` leave it."""

    membership: Membership


SESSION_TENANT = "casedesk_tenant_id"
_MEMBERSHIP = Related(Membership, ["tenant", "user"])
_CHOSEN = 't0."user_id" = %s AND t0."is_active" = %s AND t0."tenant_id" = %s'


def memberships_of(request: HttpRequest) -> list[Membership]:
    return list(Membership.objects.filter(user_id=int(request.user.pk or 0), is_active=True,
                                          tenant__isnull=False)
                .select_related("tenant", "user").order_by("tenant__name"))


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the tenant chosen in the session, else the user's first one."""
    if not request.user.is_authenticated:
        return None
    qs = Membership.objects.select_related("tenant", "user").filter(
        user_id=request.user.pk, is_active=True)
    chosen = request.session.get(SESSION_TENANT)
    membership = None
    if isinstance(chosen, int):
        # Every page and poll reads it: by hand-written SQL (`core.rows`).
        membership = _MEMBERSHIP.first(connection, _CHOSEN, [request.user.pk, True, chosen])
    if membership is None:
        membership = qs.order_by("tenant__name").first()
        if membership is not None:
            request.session[SESSION_TENANT] = membership.tenant_id
    return membership


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signs the user in if needed and sets `request.membership`; 403 without a tenant.

    NotFound from an access helper becomes a 404 page (also for another tenant's objects),
    PermissionDenied a 403.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            # Back to this page after signing in; without a query too long to carry along.
            here = request.get_full_path()
            return redirect_to_login(here if len(here) <= MAX_TARGET else request.path)
        membership = getattr(request, "membership", None) or current_membership(request)
        if membership is None:
            return render(request, "console/no_tenant.html", status=403)
        request.membership = membership  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.detail) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.detail) from None

    return wrapper


def member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined, no-any-return]


def require_manager(membership: Membership) -> Membership:
    """Managers and admins read the tenant's set-up pages (routing, SLA); agents are
    refused."""
    if not membership.is_manager:
        raise PermissionDenied("Only managers and admins may see this page.")
    return membership


def require_admin(membership: Membership) -> Membership:
    """Only admins change the tenant's set-up (routing rules, queue strategies, skills, SLA
    policies, calendars, escalation rules) and run the breach sweep."""
    if not membership.is_admin:
        raise PermissionDenied("Only a tenant admin may change this.")
    return membership
