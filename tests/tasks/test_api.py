"""`/tasks` and `/cases/{number}/tasks`: CRUD, filters, pages, permissions, 404s across
tenants and 422s."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.tasks.models import Task
from casedesk.tasks.services import task_create
from casedesk.tenancy.models import Membership, Tenant
from tests.api_checks import conforms, error, walk_pages
from tests.conftest import NOW, Api, Clock
from tests.factories import AccountFactory, ContactFactory, make_case


def _task(tenant: Tenant, actor: Membership, **fields: Any) -> Task:
    fields.setdefault("subject", "Call back")
    return task_create(tenant=tenant, actor=actor.user, now=NOW, **fields)


def test_create_read_change_and_delete(tenant: Tenant, agent: Membership, agent2: Membership,
                                       agent_api: Api, clock: Clock) -> None:
    account = AccountFactory(tenant=tenant, name="Initech")
    contact = ContactFactory(tenant=tenant, account=account, name="Peter")
    case = make_case(tenant, account_id=account.pk, contact_id=contact.pk)
    response = agent_api.post("/tasks", {"subject": "Confirm the fix",
                                         "case": case.display_number,
                                         "due_at": "2026-11-24T10:00:00+01:00"})
    assert response.status_code == 201, response.content
    body = conforms(response, "post", "/tasks")
    assert body["owner"]["id"] == agent.user_id and body["created_by"]["id"] == agent.user_id
    assert (body["case_number"], body["account"], body["contact"]) == (
        case.display_number, {"id": account.pk, "name": "Initech"},
        {"id": contact.pk, "name": "Peter"})
    assert (body["due_at"], body["is_overdue"], body["is_done"]) == (
        "2026-11-24T09:00:00Z", False, False)
    path = f"/tasks/{body['id']}"
    assert agent_api.get(path).json() == body
    clock.advance(days=2)
    assert agent_api.get(path).json()["is_overdue"] is True
    changed = agent_api.patch(path, {"subject": "Confirm the fix works",
                                     "owner_id": agent2.user_id, "is_done": True})
    assert changed.status_code == 200, changed.content
    changed_body = conforms(changed, "patch", "/tasks/{task_id}")
    assert (changed_body["subject"], changed_body["owner"]["id"], changed_body["is_done"],
            changed_body["done_by"]["id"], changed_body["is_overdue"]) == (
        "Confirm the fix works", agent2.user_id, True, agent.user_id, False)
    cleared = agent_api.patch(path, {"due_at": None, "is_done": False}).json()
    assert (cleared["due_at"], cleared["is_done"], cleared["done_at"]) == (None, False, None)
    assert agent_api.delete(path).status_code == 204
    error(agent_api.get(path), 404)
    assert not Task.objects.exists()


def test_the_list_orders_filters_and_pages(tenant: Tenant, agent: Membership,
                                           agent2: Membership, agent_api: Api,
                                           clock: Clock) -> None:
    case = make_case(tenant)
    undated = _task(tenant, agent, subject="Undated")
    late = _task(tenant, agent, subject="Late", due_at=NOW - timedelta(hours=2), case=case)
    soon = _task(tenant, agent, subject="Soon", due_at=NOW + timedelta(hours=2))
    later = _task(tenant, agent, subject="Later", due_at=NOW + timedelta(days=3))
    theirs = _task(tenant, agent2, subject="Theirs", due_at=NOW + timedelta(hours=1))
    _task(tenant, agent2, subject="Private, theirs")  # an agent does not see it
    done = _task(tenant, agent, subject="Done", due_at=NOW - timedelta(days=1))
    agent_api.patch(f"/tasks/{done.pk}", {"is_done": True})

    def subjects(**params: Any) -> list[str]:
        response = agent_api.get("/tasks", **params)
        assert response.status_code == 200, response.content
        return [t["subject"] for t in conforms(response, "get", "/tasks")["items"]]

    assert subjects(owner="me", done="false") == ["Late", "Soon", "Later", "Undated"]
    assert subjects(owner=str(agent2.user_id)) == []  # theirs, not on a case: not mine to see
    assert subjects(case=case.display_number) == ["Late"]
    assert subjects(overdue="true") == ["Late"]
    assert subjects(done="true") == ["Done"]
    assert subjects(due_before="2026-11-23T11:30:00Z", done="false") == ["Late", "Soon"]
    pages = walk_pages(agent_api, "/tasks", owner="me", limit=2)
    assert [[t["id"] for t in page] for page in pages] == [
        [done.pk, late.pk], [soon.pk, later.pk], [undated.pk]]
    assert theirs.pk not in {t["id"] for page in pages for t in page}


def test_managers_see_every_task(tenant: Tenant, agent2: Membership, manager_api: Api,
                                 clock: Clock) -> None:
    private = _task(tenant, agent2, subject="Private")
    ids = [t["id"] for t in manager_api.get("/tasks").json()["items"]]
    assert ids == [private.pk]
    assert manager_api.patch(f"/tasks/{private.pk}", {"notes": "Seen"}).status_code == 200


def test_a_case_task_is_read_by_all_changed_by_its_people(tenant: Tenant, agent: Membership,
                                                         agent2_api: Api, clock: Clock) -> None:
    case = make_case(tenant)
    task = _task(tenant, agent, case=case)
    listed = agent2_api.get(f"/cases/{case.display_number}/tasks")
    assert [t["id"] for t in conforms(listed, "get", "/cases/{number}/tasks")] == [task.pk]
    assert agent2_api.get(f"/tasks/{task.pk}").status_code == 200
    error(agent2_api.patch(f"/tasks/{task.pk}", {"is_done": True}), 403)
    error(agent2_api.delete(f"/tasks/{task.pk}"), 403)
    assert not Task.objects.get(pk=task.pk).is_done


def test_another_tenants_tasks_and_cases_are_not_found(tenant: Tenant, agent: Membership,
                                                        other_tenant: Tenant,
                                                        outsider: Membership, admin_api: Api,
                                                        clock: Clock) -> None:
    theirs = _task(other_tenant, outsider, case=make_case(other_tenant))
    theirs_case = make_case(other_tenant, subject="Globex only")
    for response in (admin_api.get(f"/tasks/{theirs.pk}"),
                     admin_api.patch(f"/tasks/{theirs.pk}", {"subject": "Hijacked"}),
                     admin_api.delete(f"/tasks/{theirs.pk}"),
                     admin_api.get(f"/cases/CS-{theirs_case.number + 1000}/tasks")):
        error(response, 404)
    assert Task.objects.get(pk=theirs.pk).subject == "Call back"
    assert admin_api.get("/tasks").json()["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({}, "subject"),
    ({"subject": "   "}, "subject"),
    ({"subject": "x" * 256}, "subject"),
    ({"subject": "ok", "due_at": "tomorrow"}, "due_at"),
    ({"subject": "ok", "due_at": "2026-11-24T10:00:00"}, "due_at"),
    ({"subject": "ok", "owner_id": 0}, "owner_id"),
    ({"subject": "ok", "owner_id": 99999999}, "owner_id"),
    ({"subject": "ok", "case": "CS-99999999"}, "case"),
    ({"subject": "ok", "notes": "x" * 10_001}, "notes"),
])
def test_bad_input_is_a_422_naming_the_field(agent_api: Api, body: dict[str, Any],
                                             field: str) -> None:
    error(agent_api.post("/tasks", body), 422, field=field)
    assert not Task.objects.exists()


def test_creating_with_another_tenants_records_is_refused(
        tenant: Tenant, agent_api: Api, other_tenant: Tenant, outsider: Membership) -> None:
    foreign_case = make_case(other_tenant)
    for body, field in (({"owner_id": outsider.user_id}, "owner_id"),
                        ({"account_id": AccountFactory(tenant=other_tenant).pk}, "account_id"),
                        ({"contact_id": ContactFactory(tenant=other_tenant).pk}, "contact_id"),
                        ({"case": f"CS-{foreign_case.number + 1000}"}, "case")):
        error(agent_api.post("/tasks", {"subject": "x", **body}), 422, field=field)
    assert not Task.objects.exists()


@pytest.mark.parametrize(("params", "field"), [
    ({"owner": "someone"}, "owner"), ({"case": "nope"}, "case"), ({"cursor": "!!"}, "cursor"),
    ({"due_before": "2026-11-24"}, "due_before"), ({"limit": 0}, "limit"),
])
def test_bad_filters_are_a_422(agent_api: Api, params: dict[str, Any], field: str) -> None:
    error(agent_api.get("/tasks", **params), 422, field=field)


def test_patch_refuses_null_is_done_and_subject(tenant: Tenant, agent: Membership,
                                                agent_api: Api) -> None:
    task = _task(tenant, agent)
    error(agent_api.patch(f"/tasks/{task.pk}", {"is_done": None}), 422, field="is_done")
    error(agent_api.patch(f"/tasks/{task.pk}", {"subject": None}), 422, field="subject")


def test_anonymous_is_refused(anonymous_api: Api) -> None:
    assert anonymous_api.get("/tasks").status_code == 401
