"""`casedesk add_member`: a tenant's admin (or a script) adds a colleague without touching rows
by hand; `member_add` behind it keeps the tenant's last admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casedesk.tenancy.models import Membership, Role, Tenant, User


def add(*args: str) -> str:
    out = StringIO()
    call_command("add_member", *args, stdout=out)
    return out.getvalue()


def test_a_new_person_joins_with_a_role_and_can_sign_in(tenant: Tenant, client) -> None:
    said = add("Jo@Example.com", "--tenant", tenant.slug, "--role", "agent", "--name",
               "Jo Bloggs", "--password", "a long enough secret")

    assert said == f"Added jo@example.com in {tenant.slug} as agent.\n"
    membership = Membership.objects.get(tenant=tenant, user__email="jo@example.com")
    assert (membership.role, membership.is_active, membership.user.full_name) == (
        Role.AGENT, True, "Jo Bloggs")
    signed_in = client.post("/login/", {"username": "jo@example.com",
                                        "password": "a long enough secret"})
    assert signed_in.status_code == 302
    assert client.get("/inbox/cases").status_code == 200


def test_without_a_password_they_are_told_how_to_set_one(tenant: Tenant) -> None:
    said = add("new@example.com", "--tenant", tenant.slug, "--role", "manager")
    assert "no password yet" in said
    assert not User.objects.get(email="new@example.com").has_usable_password()


def test_someone_of_another_tenant_joins_with_their_account(
        tenant: Tenant, outsider: Membership) -> None:
    add(outsider.user.email, "--tenant", tenant.slug, "--role", "agent")
    assert set(Membership.objects.filter(user=outsider.user)
               .values_list("tenant_id", flat=True)) == {tenant.pk, outsider.tenant_id}
    assert User.objects.filter(email=outsider.user.email).count() == 1


def test_a_member_gets_a_new_role_and_a_deactivated_one_comes_back(
        tenant: Tenant, agent: Membership) -> None:
    Membership.objects.filter(pk=agent.pk).update(is_active=False)
    said = add(agent.user.email, "--tenant", tenant.slug, "--role", "manager")
    agent.refresh_from_db()
    assert said.startswith("Updated ")
    assert (agent.role, agent.is_active) == (Role.MANAGER, True)


def test_the_last_admin_is_not_demoted(tenant: Tenant, admin: Membership) -> None:
    Membership.objects.filter(tenant=tenant, role=Role.ADMIN).exclude(pk=admin.pk).update(
        role=Role.MANAGER)
    with pytest.raises(CommandError, match="last active admin"):
        add(admin.user.email, "--tenant", tenant.slug, "--role", "agent")
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


@pytest.mark.parametrize(("args", "message"), [
    (("x@example.com", "--tenant", "nowhere", "--role", "agent"), "No tenant"),
    (("not-an-email", "--tenant", "TENANT", "--role", "agent"), "not an email address"),
    (("x@example.com", "--tenant", "TENANT", "--role", "agent", "--password", "short"),
     "too short"),
])
def test_bad_input_is_refused_and_nothing_is_added(tenant: Tenant, args, message) -> None:
    before = Membership.objects.count()
    with pytest.raises(CommandError, match=message):
        add(*(tenant.slug if a == "TENANT" else a for a in args))
    assert Membership.objects.count() == before
    assert not User.objects.filter(email="x@example.com").exists()


def test_an_unknown_role_is_refused_by_the_command(tenant: Tenant) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        add("x@example.com", "--tenant", tenant.slug, "--role", "owner")
