"""Reads of a tenant's people: its members in the order people look for them (by name, then
email), and their names by user id. The one place that spells that order."""

from django.db.models import QuerySet

from casedesk.tenancy.models import Membership


def members_of(tenant_id: int, *, active_only: bool = True) -> QuerySet[Membership]:
    """The tenant's members with their users, by name; only those who may still sign in and
    be given work unless `active_only` is False (a history names the departed too)."""
    qs = Membership.objects.filter(tenant_id=tenant_id).select_related("user")
    if active_only:
        qs = qs.filter(is_active=True, user__is_active=True)
    return qs.order_by("user__full_name", "user__email")


def member_names(tenant_id: int, *, active_only: bool = False) -> dict[int, str]:
    """The members' names by user id, in name order."""
    return {m.user_id: m.user.display_name
            for m in members_of(tenant_id, active_only=active_only)}
