"""The portal's pages (`/portal/<tenant slug>/...`) and its settings page in the console.

Customers are no members: these pages never use `member_required` or a Django session.
`portal_page` finds the tenant the address names and the customer signed in to its portal
(`portal.customers.current_customer`); `customer_page` also sends a visitor who is not signed
in to the sign-in form. Anything a customer may not see answers the portal's 404 page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from casedesk.core.errors import NotFound
from casedesk.kb import public_access
from casedesk.portal.customers import Customer, current_customer
from casedesk.tenancy.middleware import tenant_zone
from casedesk.tenancy.models import Tenant

type PortalView = Callable[..., HttpResponseBase]


class PortalRequest(HttpRequest):
    """A portal request, as `portal_page` leaves it."""

    tenant: Tenant
    customer: Customer | None


def portal_render(request: HttpRequest, template: str, context: dict[str, Any] | None = None,
                  *, status: int = 200) -> HttpResponse:
    """`render` with what the portal's layout needs: the tenant and the customer."""
    page = {"tenant": getattr(request, "tenant", None),
            "customer": getattr(request, "customer", None), **(context or {})}
    return render(request, template, page, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return portal_render(request, "portal/not_found.html", status=404)


def portal_page(view: PortalView) -> PortalView:
    """Finds the tenant (404 for an unknown one) and the signed-in customer, and shows the
    page in the tenant's time zone; NotFound answers the portal's 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, tenant_slug: str, **kwargs: Any) -> HttpResponseBase:
        try:
            tenant = public_access.get_tenant(tenant_slug)
        except NotFound:
            return not_found(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        request.customer = current_customer(request, tenant)  # type: ignore[attr-defined]
        try:
            with timezone.override(tenant_zone(tenant)):
                return view(request, **kwargs)
        except NotFound:
            return not_found(request)

    return wrapper


def customer_page(view: PortalView) -> PortalView:
    """`portal_page` for signed-in customers: anyone else goes to the sign-in form."""

    @wraps(view)
    def signed_in(request: PortalRequest, **kwargs: Any) -> HttpResponseBase:
        if request.customer is None:
            return redirect("portal:home", request.tenant.slug)
        return view(request, **kwargs)

    return portal_page(signed_in)
