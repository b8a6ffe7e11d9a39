"""Queues through the API: everyone reads them, admins shape them."""

import pytest

from casedesk.routing.models import Queue
from tests.api_checks import conforms, error


def test_every_member_lists_the_tenants_queues(agent_api, agent_in_support,
                                               seeded_support_queue) -> None:
    response = agent_api.get("/queues")
    body = conforms(response, "GET", "/queues")
    assert [q["name"] for q in body] == ["Engineering", "Finance", "Support"]
    by_name = {q["name"]: q for q in body}
    assert by_name["Support"]["member_ids"] == [agent_in_support.user_id]
    assert by_name["Support"]["id"] == seeded_support_queue.pk
    assert all(q["is_active"] for q in body)


def test_an_admin_creates_a_queue_with_members(admin_api, agent, agent2, tenant) -> None:
    response = admin_api.post("/queues", {
        "name": " Escalations ", "description": "Hot potatoes", "email": "Esc@Acme.test",
        "member_ids": [agent2.user_id, agent.user_id],
    })
    assert response.status_code == 201
    body = conforms(response, "POST", "/queues")
    assert (body["name"], body["description"], body["email"]) == (
        "Escalations", "Hot potatoes", "esc@acme.test")
    assert body["member_ids"] == sorted([agent.user_id, agent2.user_id])
    read = admin_api.get(f"/queues/{body['id']}")
    assert conforms(read, "GET", "/queues/{queue_id}") == body
    assert Queue.objects.get(pk=body["id"]).tenant_id == tenant.pk


def test_an_admin_changes_a_queue(admin_api, agent, agent2, seeded_support_queue) -> None:
    seeded_support_queue.members.add(agent)
    response = admin_api.patch(f"/queues/{seeded_support_queue.pk}", {
        "description": "First line", "member_ids": [agent2.user_id], "email": None,
    })
    body = conforms(response, "PATCH", "/queues/{queue_id}")
    assert (body["description"], body["member_ids"], body["email"]) == (
        "First line", [agent2.user_id], "")
    body = admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"is_active": False}).json()
    assert body["is_active"] is False


def test_a_duplicate_queue_name_is_refused(admin_api, finance) -> None:
    error(admin_api.post("/queues", {"name": "Support"}), 409, mentions=("Support",))
    error(admin_api.patch(f"/queues/{finance.pk}", {"name": "Support"}), 409)
    assert Queue.objects.get(pk=finance.pk).name == "Finance"
    assert Queue.objects.filter(tenant=finance.tenant, name="Support").count() == 1


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "q" * 101}, "name"),
    ({"name": "a\x00"}, "name"), ({"name": "ok", "email": "nope"}, "email"),
    ({"name": "ok", "member_ids": [999999]}, "member_ids"),
    ({"name": "ok", "member_ids": [0]}, "member_ids"),
    ({"name": "ok", "member_ids": "all"}, "member_ids"),
])
def test_a_bad_queue_is_refused(admin_api, tenant, payload, field) -> None:
    body = error(admin_api.post("/queues", payload), 422)
    assert body["field"].split(".")[0] == field
    assert Queue.objects.filter(tenant=tenant).count() == 3  # the defaults only


@pytest.mark.parametrize("field", ["name", "description", "member_ids", "is_active"])
def test_queue_fields_cannot_be_nulled(admin_api, seeded_support_queue, field) -> None:
    error(admin_api.patch(f"/queues/{seeded_support_queue.pk}", {field: None}), 422, field=field)


def test_an_outsider_cannot_join_a_queue(admin_api, admin, seeded_support_queue, outsider) -> None:
    error(admin_api.patch(f"/queues/{seeded_support_queue.pk}",
                          {"member_ids": [outsider.user_id]}), 422, field="member_ids")
    assert list(seeded_support_queue.members.all()) == [admin]  # as the tenant was made: unchanged


@pytest.mark.parametrize("queue_id", ["999999", "0", "-1"])
def test_an_unknown_queue_is_not_found(agent_api, queue_id) -> None:
    response = agent_api.get(f"/queues/{queue_id}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_agents_and_managers_may_not_shape_queues(agent_api, manager_api,
                                                  seeded_support_queue) -> None:
    for api in (agent_api, manager_api):
        error(api.post("/queues", {"name": "Mine"}), 403, mentions=("admin",))
        error(api.patch(f"/queues/{seeded_support_queue.pk}", {"name": "Mine"}), 403)
    assert not Queue.objects.filter(name="Mine").exists()
    assert Queue.objects.get(pk=seeded_support_queue.pk).name == "Support"


def test_a_queue_address_has_one_owner_in_the_installation(admin_api, seeded_support_queue, tenant,
                                                          other_tenant) -> None:
    other_tenant.mail_address = "help@other.test"
    other_tenant.save(update_fields=["mail_address"])
    response = admin_api.post("/queues", {"name": "Stolen", "email": "Help@Other.test"})
    assert response.status_code == 409 and "another queue or tenant" in response.json()["detail"]
    assert admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"email": "help@other.test"}
                           ).status_code == 409
    assert admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"email": "help@acme.test"}
                           ).status_code == 200
    assert admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"email": "help@acme.test"}
                           ).status_code == 200  # its own address again
    assert admin_api.post("/queues", {"name": "Twin", "email": "help@acme.test"}
                          ).status_code == 409
