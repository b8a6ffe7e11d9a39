"""The signed-in member behind a console request, and the decorator every console view uses.

A user may belong to several tenants; the session remembers which one they are working in
(the tenant switcher changes it). Everything a view reads is scoped to that membership.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from casedesk.core.errors import NotFound, PermissionDenied
from casedesk.core.redirects import MAX_TARGET
from casedesk.core.schemas import MAX_ID
from casedesk.routing.models import Queue, RoutingRule
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.tenancy.models import Membership

SESSION_TENANT = "casedesk_tenant_id"


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
    membership = qs.filter(tenant_id=chosen).first() if chosen else None
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
        membership = current_membership(request)
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


def get_rule_for_member(membership: Membership, rule_id: int) -> RoutingRule:
    """A routing rule of the member's tenant; NotFound for anything else (another tenant's
    rule included)."""
    rule = (RoutingRule.objects.filter(tenant_id=membership.tenant_id, pk=rule_id).first()
            if 0 < rule_id <= MAX_ID else None)
    if rule is None:
        raise NotFound(f"No routing rule {rule_id} in this tenant.")
    rule.tenant = membership.tenant
    return rule


def get_queue_for_member(membership: Membership, queue_id: int) -> Queue:
    queue = (Queue.objects.filter(tenant_id=membership.tenant_id, pk=queue_id).first()
             if 0 < queue_id <= MAX_ID else None)
    if queue is None:
        raise NotFound(f"No queue {queue_id} in this tenant.")
    queue.tenant = membership.tenant
    return queue


def get_colleague(membership: Membership, user_id: int) -> Membership:
    """Another active member of the member's tenant, by user id."""
    colleague = (Membership.objects.select_related("user")
                 .filter(tenant_id=membership.tenant_id, user_id=user_id, is_active=True).first()
                 if 0 < user_id <= MAX_ID else None)
    if colleague is None:
        raise NotFound(f"No member with user id {user_id} in this tenant.")
    return colleague


def get_policy_for_member(membership: Membership, policy_id: int) -> SlaPolicy:
    """An SLA policy of the member's tenant; NotFound for anything else."""
    policy = (SlaPolicy.objects.select_related("calendar")
              .filter(tenant_id=membership.tenant_id, pk=policy_id).first()
              if 0 < policy_id <= MAX_ID else None)
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id} in this tenant.")
    policy.tenant = membership.tenant
    return policy


def get_calendar_for_member(membership: Membership, calendar_id: int) -> BusinessCalendar:
    """A business-hours calendar of the member's tenant; NotFound for anything else."""
    calendar = (BusinessCalendar.objects.filter(tenant_id=membership.tenant_id,
                                                pk=calendar_id).first()
                if 0 < calendar_id <= MAX_ID else None)
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id} in this tenant.")
    calendar.tenant = membership.tenant
    return calendar


def get_holiday_for_calendar(calendar: BusinessCalendar, holiday_id: int) -> Holiday:
    """A holiday of that calendar (so of the member's tenant); NotFound for anything else."""
    holiday = (Holiday.objects.filter(tenant_id=calendar.tenant_id, calendar=calendar,
                                      pk=holiday_id).first()
               if 0 < holiday_id <= MAX_ID else None)
    if holiday is None:
        raise NotFound(f"No holiday {holiday_id} in the calendar {calendar.name}.")
    holiday.calendar = calendar
    return holiday


def get_escalation_rule_for_member(membership: Membership, rule_id: int) -> EscalationRule:
    """An escalation rule of the member's tenant; NotFound for anything else."""
    rule = (EscalationRule.objects.filter(tenant_id=membership.tenant_id, pk=rule_id).first()
            if 0 < rule_id <= MAX_ID else None)
    if rule is None:
        raise NotFound(f"No escalation rule {rule_id} in this tenant.")
    rule.tenant = membership.tenant
    return rule
