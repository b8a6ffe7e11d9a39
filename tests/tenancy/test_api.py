"""Who I am, the tenant's members, and API tokens."""

import pytest

from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import membership_add, token_create
from tests.api_checks import conforms, error
from tests.conftest import Api


def test_me_names_the_member_and_the_tenant(agent_api, agent, manager) -> None:
    response = agent_api.get("/me")
    body = conforms(response, "GET", "/me")
    assert body == {
        "user_id": agent.user_id, "email": "alice@acme.test", "name": "Alice Agent",
        "role": "agent", "manager_id": manager.user_id, "skills": [], "territory": "",
        "capacity": 20, "availability": "available", "is_active": True, "tenant": "acme",
        "tenant_name": "Acme Support",
    }


def test_a_user_in_two_tenants_acts_in_the_tenant_of_the_token(agent, other_tenant) -> None:
    elsewhere = membership_add(tenant=other_tenant, user=agent.user, role="admin")
    here = Api(token_create(membership=agent).secret).get("/me").json()
    there = Api(token_create(membership=elsewhere).secret).get("/me").json()
    assert (here["tenant"], here["role"]) == ("acme", "agent")
    assert (there["tenant"], there["role"]) == ("globex", "admin")


def test_members_lists_only_this_tenants_members(agent_api, agent, agent2, outsider) -> None:
    response = agent_api.get("/members")
    body = conforms(response, "GET", "/members")
    emails = [m["email"] for m in body]
    assert emails == sorted(["admin@acme.test", "mona@acme.test", "alice@acme.test",
                             "bob@acme.test"])
    assert "admin@globex.test" not in emails


def test_an_admin_changes_a_members_role_manager_and_routing_facts(admin_api, agent2,
                                                                   manager) -> None:
    response = admin_api.patch(f"/members/{agent2.user_id}", {
        "role": "manager", "manager_id": None, "skills": ["billing", "french"],
        "territory": "EMEA", "capacity": 35,
    })
    body = conforms(response, "PATCH", "/members/{user_id}")
    assert (body["role"], body["manager_id"], body["skills"], body["territory"],
            body["capacity"]) == ("manager", None, ["billing", "french"], "EMEA", 35)
    body = admin_api.patch(f"/members/{agent2.user_id}", {"manager_id": manager.user_id}).json()
    assert body["manager_id"] == manager.user_id
    assert Membership.objects.get(pk=agent2.pk).role == "manager"


@pytest.mark.parametrize(("payload", "field"), [
    ({"role": "owner"}, "role"), ({"capacity": -1}, "capacity"),
    ({"capacity": 10_001}, "capacity"), ({"skills": "billing"}, "skills"),
    ({"skills": ["a\x00"]}, "skills"), ({"manager_id": 999999}, "manager_id"),
    ({"role": None}, "role"), ({"is_active": None}, "is_active"),
])
def test_a_bad_member_change_is_refused(admin_api, agent2, payload, field) -> None:
    body = error(admin_api.patch(f"/members/{agent2.user_id}", payload), 422)
    assert body["field"].split(".")[0] == field
    assert Membership.objects.get(pk=agent2.pk).role == "agent"


def test_a_member_cannot_manage_themselves(admin_api, agent2) -> None:
    error(admin_api.patch(f"/members/{agent2.user_id}", {"manager_id": agent2.user_id}), 422,
          field="manager_id")


def test_an_admin_cannot_remove_their_own_admin_rights(admin_api, admin) -> None:
    for payload in ({"role": "agent"}, {"is_active": False}):
        error(admin_api.patch(f"/members/{admin.user_id}", payload), 422, field="role")
    assert Membership.objects.get(pk=admin.pk).role == "admin"


def test_a_manager_from_another_tenant_is_refused(admin_api, agent2, outsider) -> None:
    error(admin_api.patch(f"/members/{agent2.user_id}", {"manager_id": outsider.user_id}),
          422, field="manager_id")


def test_a_deactivated_member_can_no_longer_use_the_api(admin_api, agent2, api_for) -> None:
    api = api_for(agent2)
    assert api.get("/me").status_code == 200
    admin_api.patch(f"/members/{agent2.user_id}", {"is_active": False})
    error(api.get("/me"), 401)


def test_agents_and_managers_may_not_change_members(agent_api, manager_api, agent2) -> None:
    for api in (agent_api, manager_api):
        error(api.patch(f"/members/{agent2.user_id}", {"role": "admin"}), 403,
              mentions=("admin",))
    assert Membership.objects.get(pk=agent2.pk).role == "agent"


def test_an_unknown_member_is_not_found(admin_api) -> None:
    error(admin_api.patch("/members/999999", {"capacity": 1}), 404)


# --- tokens ----------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_works(agent_api, agent) -> None:
    response = agent_api.post("/tokens", {"name": "laptop"})
    assert response.status_code == 201
    body = conforms(response, "POST", "/tokens")
    assert body["name"] == "laptop" and body["revoked_at"] is None
    assert body["token"].startswith(body["prefix"])
    assert Api(body["token"]).get("/me").json()["user_id"] == agent.user_id
    listed = conforms(agent_api.get("/tokens"), "GET", "/tokens")
    assert "token" not in listed[-1]
    assert [t["name"] for t in listed] == ["test", "laptop"]
    assert listed[-1]["last_used_at"] is not None
    stored = ApiToken.objects.get(pk=body["id"])
    assert body["token"] not in (stored.digest, stored.prefix)


def test_a_revoked_token_stops_working(agent_api) -> None:
    body = agent_api.post("/tokens", {"name": "old"}).json()
    spare = Api(body["token"])
    response = agent_api.delete(f"/tokens/{body['id']}")
    revoked = conforms(response, "DELETE", "/tokens/{token_id}")
    assert revoked["revoked_at"] is not None
    error(spare.get("/me"), 401)
    again = agent_api.delete(f"/tokens/{body['id']}").json()
    assert again["revoked_at"] == revoked["revoked_at"]


def test_an_agent_cannot_revoke_someone_elses_token(agent_api, agent2) -> None:
    theirs = token_create(membership=agent2, name="bob").token
    error(agent_api.delete(f"/tokens/{theirs.pk}"), 404)
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert "bob" not in [t["name"] for t in agent_api.get("/tokens").json()]


def test_an_admin_revokes_any_token_of_the_tenant(admin_api, agent2) -> None:
    issued = token_create(membership=agent2, name="bob")
    assert admin_api.delete(f"/tokens/{issued.token.pk}").status_code == 200
    error(Api(issued.secret).get("/me"), 401)


@pytest.mark.parametrize("payload", [{"name": "n" * 101}, {"name": "a\x00"}, {"name": 3}])
def test_a_bad_token_name_is_refused(agent_api, payload) -> None:
    error(agent_api.post("/tokens", payload), 422, field="name")
