"""The bell, the notifications list, the tenant switcher and my availability."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.redirects import redirect_back, safe_target
from casedesk.notifications.selectors import recent, unread_count
from casedesk.notifications.services import notifications_mark_read
from casedesk.tenancy.availability import membership_set_availability
from casedesk.tenancy.models import Availability, Membership
from casedesk.tenancy.web import SESSION_TENANT, PageRequest, member, member_required


@member_required
def bell(request: PageRequest) -> HttpResponse:
    """The bell with its unread count: polled by every page, so it updates without a reload.
    The poll says the count it shows (`seen`); while that is still the count the answer is
    204 and htmx leaves the bell alone."""
    count = unread_count(member(request))
    if request.GET.get("seen") == str(count):
        return HttpResponse(status=204)
    return render(request, "console/partials/_bell.html", {"unread_count": count})


@member_required
def notifications(request: PageRequest) -> HttpResponse:
    membership = member(request)
    return render(request, "console/notifications.html",
                  {"nav": "notifications", "items": recent(membership), "now": clock.now()})


@member_required
@require_POST
def notifications_read(request: PageRequest) -> HttpResponse:
    """Marks one notification (`id`) or all of them read."""
    membership = member(request)
    raw = request.POST.get("id") or ""
    ids = [int(raw)] if raw.isdecimal() and len(raw) < 19 else None
    notifications_mark_read(tenant_id=membership.tenant_id, recipient=membership.user,
                            ids=ids, now=clock.now())
    return redirect_back(request, request.POST.get("next"), "console:notifications")


@member_required
@require_POST
def switch_tenant(request: PageRequest) -> HttpResponse:
    raw = request.POST.get("tenant") or ""
    membership = (Membership.objects.filter(user_id=int(request.user.pk or 0), is_active=True,
                                            tenant_id=int(raw)).select_related("tenant").first()
                  if raw.isdecimal() and len(raw) < 19 else None)
    if membership is None:
        messages.error(request, "You are not a member of that tenant.")
    else:
        request.session[SESSION_TENANT] = membership.tenant_id
        messages.success(request, f"Now working in {membership.tenant.name}.")
    return redirect("console:inbox")


def _back_to(request: PageRequest) -> HttpResponse:
    """To the page the form was on (`next`), if it is one of ours."""
    return redirect_back(request, request.POST.get("next"), "console:inbox")


@member_required
@require_POST
def availability(request: PageRequest) -> HttpResponse:
    """Sets whether I take routed cases now: available, away or offline. htmx swaps the
    switch in place; a plain post goes back to the page it came from."""
    membership = member(request)
    try:
        membership_set_availability(membership=membership,
                                    availability=request.POST.get("availability") or "")
    except Invalid as error:
        if request.htmx:
            return HttpResponse(error.detail, status=error.status_code, content_type="text/plain")
        messages.error(request, error.detail)
        return _back_to(request)
    label = Availability(membership.availability).label.lower()
    message = f"You are now {label}."
    if membership.availability != Availability.AVAILABLE:
        message += " Routing gives you no new cases until you are available again."
    if request.htmx:
        return render(request, "console/partials/_availability.html", {
            "membership": membership,
            "availability_next": safe_target(request, request.POST.get("next")) or "",
            "availability_flash": message})
    messages.success(request, message)
    return _back_to(request)
