"""A tenant's members in the one order people look for them, and their names."""

from casedesk.tenancy.models import Membership, Role, Tenant
from casedesk.tenancy.selectors import member_names, members_of
from casedesk.tenancy.services import membership_add, user_get_or_create


def test_members_come_by_name_and_only_those_who_may_work(
        tenant: Tenant, other_tenant: Tenant) -> None:
    zed = membership_add(tenant=tenant, user=user_get_or_create(
        email="zed@example.com", full_name="Zed Last"), role=Role.AGENT)
    amy = membership_add(tenant=tenant, user=user_get_or_create(
        email="amy@example.com", full_name="Amy First"), role=Role.AGENT)
    left = membership_add(tenant=tenant, user=user_get_or_create(
        email="left@example.com", full_name="Aaron Left"), role=Role.AGENT)
    Membership.objects.filter(pk=left.pk).update(is_active=False)
    membership_add(tenant=other_tenant, user=user_get_or_create(
        email="elsewhere@example.com", full_name="Abe Elsewhere"), role=Role.AGENT)

    working = [m.user_id for m in members_of(tenant.pk)]
    everyone = member_names(tenant.pk)

    assert working.index(amy.user_id) < working.index(zed.user_id)
    assert left.user_id not in working
    assert everyone[left.user_id] == "Aaron Left"  # a history still names them
    assert "Abe Elsewhere" not in everyone.values()
    assert set(member_names(tenant.pk, active_only=True)) == set(working)
