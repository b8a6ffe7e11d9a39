"""The macros API: shared and personal macros, their writes and permissions, a macro
previewed on and applied to a case, and the 404s across tenants and owners."""

from typing import Any

import pytest

from casedesk.automation.models import Macro
from casedesk.cases.models import Case, Note
from casedesk.core.priority import Priority
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.api_checks import conforms, error
from tests.conftest import Api
from tests.factories import ContactFactory, make_case

pytestmark = pytest.mark.usefixtures("clock")

URGENT = {"name": "Urgent billing", "reply": "Hello {{ contact.name }}",
          "changes": {"priority": "urgent", "status": "open"}, "tags_add": ["vip"],
          "shared": True}


@pytest.fixture
def case(tenant: Tenant) -> Case:
    contact = ContactFactory(tenant=tenant, name="Fox Mulder")
    return make_case(tenant, subject="Charged twice", contact_id=contact.pk,
                     priority=Priority.NORMAL)


def create(api: Api, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.post("/macros", body)
    assert response.status_code == status, response.content
    return conforms(response, "POST", "/macros")


def test_a_manager_makes_a_shared_macro_every_member_sees(manager_api: Api, agent_api: Api,
                                                          manager: Membership) -> None:
    made = create(manager_api, URGENT)
    assert made["shared"] and made["owner_id"] is None and made["can_edit"]
    assert made["changes"] == {"priority": "urgent", "status": "open"}
    listed = conforms(agent_api.get("/macros"), "GET", "/macros")
    assert [(m["name"], m["can_edit"]) for m in listed] == [("Urgent billing", False)]
    read = conforms(agent_api.get(f"/macros/{made['id']}"), "GET", "/macros/{macro_id}")
    assert read["reply"] == "Hello {{ contact.name }}"


def test_an_agent_makes_personal_macros_only(agent_api: Api, agent2_api: Api, admin_api: Api,
                                             agent: Membership) -> None:
    error(agent_api.post("/macros", URGENT), 403)
    mine = create(agent_api, {**URGENT, "shared": False})
    assert mine["owner_id"] == agent.user_id and not mine["shared"]
    assert [m["id"] for m in agent_api.get("/macros", scope="mine").json()] == [mine["id"]]
    assert agent_api.get("/macros", scope="shared").json() == []
    for other in (agent2_api, admin_api):
        assert other.get("/macros").json() == []
        error(other.get(f"/macros/{mine['id']}"), 404)
        error(other.patch(f"/macros/{mine['id']}", {"name": "Taken"}), 404)
        error(other.delete(f"/macros/{mine['id']}"), 404)
    assert Macro.objects.get(pk=mine["id"]).name == "Urgent billing"


def test_patch_and_delete(manager_api: Api, agent_api: Api) -> None:
    made = create(manager_api, URGENT)
    error(agent_api.patch(f"/macros/{made['id']}", {"name": "Mine now"}), 403)
    error(agent_api.delete(f"/macros/{made['id']}"), 403)
    response = manager_api.patch(f"/macros/{made['id']}", {
        "is_active": False, "changes": {"owner_id": None}, "tags_remove": ["new"]})
    patched = conforms(response, "PATCH", "/macros/{macro_id}")
    assert not patched["is_active"] and patched["changes"] == {"owner_id": None}
    assert patched["tags_remove"] == ["new"] and patched["tags_add"] == ["vip"]
    assert agent_api.get("/macros", active="true").json() == []
    error(manager_api.patch(f"/macros/{made['id']}", {"name": None}), 422, field="name")
    error(manager_api.patch(f"/macros/{made['id']}", {"changes": {"priority": None}}), 422,
          field="changes.priority")
    assert manager_api.delete(f"/macros/{made['id']}").status_code == 204
    assert not Macro.objects.filter(pk=made["id"]).exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"reply": "{% include 'x.html' %}"}, "reply"),
    ({"changes": {"priority": "critical"}}, "changes.priority"),
    ({"changes": {"status": "closed"}}, "changes.status"),
    ({"changes": {"type": "Nope"}}, "changes.type"),
    ({"changes": {"queue_id": 999_999_999}}, "changes.queue_id"),
    ({"changes": {"nope": 1}}, "changes.nope"),
    ({"tags_add": ["a"] * 21}, "tags_add"),
])
def test_bad_input_is_refused(manager_api: Api, body: dict[str, Any], field: str) -> None:
    error(manager_api.post("/macros", {**URGENT, **body}), 422, field=field)
    assert not Macro.objects.exists()


def test_preview_then_apply(manager_api: Api, agent_api: Api, case: Case,
                            agent: Membership) -> None:
    made = create(manager_api, URGENT)
    path = f"/cases/{case.display_number}/macros/{made['id']}"
    preview = conforms(agent_api.get(f"{path}/preview"), "GET",
                       "/cases/{number}/macros/{macro_id}/preview")
    assert preview["reply"] == "Hello Fox Mulder" and preview["can_apply"]
    assert [c["text"] for c in preview["changes"] if c["field"] != "reply"] == [
        "Priority: Normal → Urgent", "Tags: + vip", "Status: New → Open"]
    response = agent_api.post(f"{path}/apply")
    assert response.status_code == 200, response.content
    applied = conforms(response, "POST", "/cases/{number}/macros/{macro_id}/apply")
    assert applied["case_number"] == case.display_number
    assert applied["case"]["priority"] == "urgent" and applied["case"]["status"] == "open"
    assert "vip" in applied["case"]["tags"]
    note = Note.objects.get(pk=applied["note_id"])
    assert note.body == "Hello Fox Mulder" and note.is_public and note.author == agent.user
    assert Macro.objects.get(pk=made["id"]).use_count == 1


def test_a_refused_move_is_a_409_and_applies_nothing(manager_api: Api, agent_api: Api,
                                                     case: Case) -> None:
    made = create(manager_api, {**URGENT, "changes": {"priority": "urgent",
                                                      "status": "in_progress"}})
    body = error(agent_api.post(f"/cases/{case.display_number}/macros/{made['id']}/apply"),
                 409, mentions=("not applied", "allowed moves"))
    assert "Urgent billing" in body["detail"]
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL and case.status == "new"
    assert not Note.objects.filter(case=case).exists()


def test_a_switched_off_macro_is_not_applied(manager_api: Api, agent_api: Api,
                                             case: Case) -> None:
    made = create(manager_api, {**URGENT, "is_active": False})
    error(agent_api.post(f"/cases/{case.display_number}/macros/{made['id']}/apply"), 409,
          mentions=("switched off",))


def test_another_tenants_case_or_macro_is_not_found(manager_api: Api, outsider_api: Api,
                                                    case: Case, other_tenant: Tenant) -> None:
    made = create(manager_api, URGENT)
    theirs = [make_case(other_tenant, subject=f"Globex {i}") for i in range(3)][-1]
    assert not Case.objects.filter(tenant=case.tenant, number=theirs.number).exists()
    error(outsider_api.get(f"/macros/{made['id']}"), 404)
    error(outsider_api.post(f"/cases/{theirs.display_number}/macros/{made['id']}/apply"), 404)
    error(manager_api.post(f"/cases/{theirs.display_number}/macros/{made['id']}/apply"), 404)
    error(manager_api.get(f"/cases/{theirs.display_number}/macros/{made['id']}/preview"), 404)
    theirs.refresh_from_db()
    assert theirs.priority == Priority.NORMAL


def test_someone_elses_personal_macro_is_not_found_on_a_case(agent_api: Api, agent2_api: Api,
                                                             case: Case) -> None:
    mine = create(agent_api, {**URGENT, "shared": False})
    path = f"/cases/{case.display_number}/macros/{mine['id']}"
    error(agent2_api.get(f"{path}/preview"), 404)
    error(agent2_api.post(f"{path}/apply"), 404)
    assert agent_api.post(f"{path}/apply").status_code == 200


def test_anonymous_is_refused(anonymous_api: Api) -> None:
    error(anonymous_api.get("/macros"), 401)
    error(anonymous_api.post("/macros", URGENT), 401)


def test_a_queue_change_names_the_queue(manager_api: Api, agent_api: Api, case: Case,
                                        finance: Queue) -> None:
    made = create(manager_api, {"name": "To finance", "changes": {"queue_id": finance.pk},
                                "shared": True})
    preview = agent_api.get(f"/cases/{case.display_number}/macros/{made['id']}/preview").json()
    assert preview["changes"][0]["text"].endswith("→ Finance")
