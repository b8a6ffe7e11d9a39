"""What tenancy records in the audit log: invitations and joining, roles and the rest of a
member's access, API tokens (never their secret), and every section of the tenant's settings;
one entry per change, in the change's transaction (a refused change records nothing)."""

import json
from typing import Any

import pytest
from django.db import transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.tenancy import invitations, services
from casedesk.tenancy.models import ApiToken, AuditEntry, Invitation, Membership, Tenant
from tests.conftest import NOW, Api
from tests.tenancy.test_invitations import PASSWORD, link_in_mail


def entries(tenant: Tenant, prefix: str = "") -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(tenant=tenant).order_by("id")
    return list(qs.filter(action__startswith=prefix) if prefix else qs)


def one(tenant: Tenant, action: str) -> AuditEntry:
    found = [e for e in entries(tenant) if e.action == action]
    assert len(found) == 1, [e.action for e in entries(tenant)]
    return found[0]


# --- members ----------------------------------------------------------------------------------

def test_invitation_then_joining_records_who_invited_and_who_joined(
        admin_api: Api, admin, tenant, seeded_support_queue, manager, clock) -> None:
    response = admin_api.post("/invitations", {
        "email": "new@example.com", "role": "agent", "manager_id": manager.user_id,
        "capacity": 12, "queue_ids": [seeded_support_queue.pk]})
    assert response.status_code == 201, response.content
    invited = one(tenant, "member.invited")
    assert (invited.actor_id, invited.via, invited.target_label) == (
        admin.user_id, "api", "new@example.com")
    assert invited.changes["role"] == [None, "agent"]
    assert invited.changes["manager"] == [None, manager.user.email]
    invitation = Invitation.objects.get(email="new@example.com")
    assert invitation.nonce not in json.dumps([invited.changes, invited.detail])

    from django.test import Client
    path = link_in_mail("new@example.com")
    accepted = Client().post(path, {"full_name": "New Person", "password": PASSWORD,
                                    "password_again": PASSWORD})
    assert accepted.status_code in (200, 302), accepted.content[:500]
    joined = one(tenant, "member.joined")
    assert joined.actor_label == "new@example.com" and joined.via == "web"
    assert joined.changes["capacity"] == [None, 12]


def test_revoking_and_resending_an_invitation_are_recorded(admin, tenant, clock) -> None:
    invitation = invitations.invitation_create(
        tenant=tenant, actor=admin.user, data=invitations.InvitationInput(email="x@example.com"),
        base_url="http://testserver", now=NOW)
    invitations.invitation_resend(invitation=invitation, base_url="http://testserver",
                                  now=NOW, actor=admin.user)
    invitations.invitation_revoke(invitation=invitation, now=NOW, actor=admin.user)
    assert [e.action for e in entries(tenant, "invitation.")] == [
        "invitation.resent", "invitation.revoked"]
    with pytest.raises(Conflict):
        invitations.invitation_revoke(invitation=invitation, now=NOW, actor=admin.user)
    assert len(entries(tenant, "invitation.revoked")) == 1


def test_a_role_change_records_old_and_new_role(admin_api: Api, admin, agent, tenant) -> None:
    response = admin_api.patch(f"/members/{agent.user_id}", {"role": "manager"})
    assert response.status_code == 200, response.content
    entry = one(tenant, "member.role_changed")
    assert entry.changes == {"role": ["agent", "manager"]}
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "member", str(agent.user_id), agent.user.email)
    assert (entry.actor_id, entry.via) == (admin.user_id, "api")


def test_manager_and_capacity_changes_are_one_entry(admin, agent, agent2, tenant, manager
                                                    ) -> None:
    services.membership_update(membership=agent, actor=admin, changes={
        "manager_id": agent2.user_id, "capacity": 5})
    entry = one(tenant, "member.updated")
    assert entry.changes == {"capacity": [20, 5],
                             "manager": [manager.user.email, agent2.user.email]}


def test_deactivating_and_reactivating_are_recorded(admin, agent, tenant) -> None:
    services.membership_update(membership=agent, actor=admin, changes={"is_active": False})
    services.membership_update(membership=agent, actor=admin, changes={"is_active": True})
    assert [(e.action, e.changes) for e in entries(tenant, "member.")] == [
        ("member.deactivated", {"is_active": [True, False]}),
        ("member.reactivated", {"is_active": [False, True]})]


def test_a_refused_member_change_records_nothing(admin, tenant) -> None:
    with pytest.raises(Invalid):
        services.membership_update(membership=admin, actor=admin, changes={"role": "agent"})
    with pytest.raises(Invalid):
        services.membership_update(membership=admin, actor=admin, changes={"capacity": -1})
    assert entries(tenant, "member.") == []


def test_adding_a_member_from_the_command_line_is_recorded(tenant) -> None:
    services.member_add(tenant=tenant, email="cli@example.com", role="agent")
    entry = one(tenant, "member.added")
    assert entry.actor_label == "system"
    assert entry.changes["role"] == [None, "agent"]


def test_availability_is_presence_not_an_audited_change(agent_api: Api, tenant) -> None:
    assert agent_api.put("/me/availability", {"availability": "away"}).status_code == 200
    assert entries(tenant, "member.") == []


# --- tokens -----------------------------------------------------------------------------------

def test_a_token_is_recorded_by_name_and_prefix_never_its_secret(agent, tenant) -> None:
    before = len(entries(tenant, "token."))
    issued = services.token_create(membership=agent, name="ci")
    created = entries(tenant, "token.")[before:]
    assert [e.action for e in created] == ["token.created"]
    assert created[0].changes["prefix"] == [None, issued.token.prefix]
    assert created[0].actor_id == agent.user_id
    services.token_revoke(token=issued.token, now=NOW, actor=agent.user)
    services.token_revoke(token=issued.token, now=NOW, actor=agent.user)
    assert len(entries(tenant, "token.revoked")) == 1
    everything = json.dumps([[e.changes, e.detail, e.target_label] for e in entries(tenant)])
    assert issued.secret not in everything
    assert ApiToken.objects.get(pk=issued.token.pk).digest not in everything


def test_a_token_made_and_revoked_through_the_api_is_recorded(agent_api: Api, agent, tenant
                                                             ) -> None:
    response = agent_api.post("/tokens", {"name": "laptop"})
    assert response.status_code == 201
    secret, token_id = response.json()["token"], response.json()["id"]
    assert agent_api.delete(f"/tokens/{token_id}").status_code == 200
    revoked = one(tenant, "token.revoked")
    assert (revoked.actor_id, revoked.via, revoked.target_id) == (
        agent.user_id, "api", str(token_id))
    assert secret not in json.dumps([[e.changes, e.detail] for e in entries(tenant)])


# --- settings ---------------------------------------------------------------------------------

def test_each_settings_section_is_one_entry(admin_api: Api, tenant) -> None:
    response = admin_api.patch("/tenant/settings", {
        "reopen_window_hours": 2, "routing_enabled": False, "sla_sweep_minutes": 15})
    assert response.status_code == 200, response.content
    own = one(tenant, "tenant_settings.updated")
    assert own.changes == {"reopen_window": [6 * 3600.0, 2 * 3600.0],
                           "routing_enabled": [True, False]}
    sla = one(tenant, "sla_settings.updated")
    assert sla.changes == {"sla_sweep_minutes": [0, 15]}


def test_a_settings_change_refused_in_a_later_section_records_nothing(tenant) -> None:
    with pytest.raises(Invalid):
        services.tenant_settings_change(tenant=tenant, changes={
            "reopen_limit": 4, "sla_sweep_minutes": 5000})
    assert entries(tenant) == []
    tenant.refresh_from_db()
    assert tenant.reopen_limit == 1


def test_an_entry_rolls_back_with_its_change(tenant) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.tenant_settings_update(tenant=tenant, changes={"reopen_limit": 9})
        assert len(entries(tenant)) == 1
        raise RuntimeError("the caller's transaction fails")
    assert entries(tenant) == []


@pytest.mark.parametrize("changes", [{"name": "Acme"}, {}])
def test_saving_settings_unchanged_records_nothing(tenant, changes: dict[str, Any]) -> None:
    tenant.name = "Acme"
    tenant.save()
    services.tenant_settings_update(tenant=tenant, changes=changes)
    assert entries(tenant) == []


def test_members_of_another_tenant_are_not_in_this_log(outsider, tenant, other_tenant,
                                                       admin) -> None:
    services.membership_update(membership=outsider, actor=outsider,
                               changes={"capacity": 3})
    assert entries(tenant, "member.") == []
    assert len(entries(other_tenant, "member.")) == 1
    assert Membership.objects.filter(pk=admin.pk).exists()
