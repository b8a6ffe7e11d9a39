"""The bell, the notifications list, and the tenant switcher."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.console.access import SESSION_TENANT, member, member_required
from casedesk.core import clock
from casedesk.notifications.selectors import recent, unread_count
from casedesk.notifications.services import notifications_mark_read
from casedesk.tenancy.models import Membership


@member_required
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with its unread count: polled by every page, so it updates without a reload."""
    return render(request, "console/partials/_bell.html",
                  {"unread_count": unread_count(member(request))})


@member_required
def notifications(request: HttpRequest) -> HttpResponse:
    membership = member(request)
    return render(request, "console/notifications.html",
                  {"nav": "notifications", "items": recent(membership), "now": clock.now()})


@member_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Marks one notification (`id`) or all of them read."""
    membership = member(request)
    raw = request.POST.get("id") or ""
    ids = [int(raw)] if raw.isdigit() and len(raw) < 19 else None
    notifications_mark_read(tenant_id=membership.tenant_id, recipient=membership.user,
                            ids=ids, now=clock.now())
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("console:notifications")


@member_required
@require_POST
def switch_tenant(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("tenant") or ""
    membership = (Membership.objects.filter(user_id=request.user.pk, is_active=True,
                                            tenant_id=int(raw)).select_related("tenant").first()
                  if raw.isdigit() and len(raw) < 19 else None)
    if membership is None:
        messages.error(request, "You are not a member of that tenant.")
    else:
        request.session[SESSION_TENANT] = membership.tenant_id
        messages.success(request, f"Now working in {membership.tenant.name}.")
    return redirect("console:inbox")
