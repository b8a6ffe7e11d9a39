"""Linked cases through the API: `GET|POST /cases/{number}/links`,
`DELETE /cases/{number}/links/{link_id}`, closing a parent with open children, the
`has_open_children` filter and the tenant setting."""

from typing import Any

from casedesk.cases.models import CaseLink
from casedesk.cases.services import case_transition
from tests.api_checks import conforms, error, numbers
from tests.conftest import NOW
from tests.factories import make_case


def shown(case: Any) -> str:
    return f"CS-{case.number}"


def test_linking_as_child_shows_on_both_cases(agent_api, tenant, clock) -> None:
    parent, child = make_case(tenant, subject="Outage"), make_case(tenant, subject="Ticket")
    response = agent_api.post(f"/cases/{shown(child)}/links",
                              {"kind": "child_of", "case": shown(parent)})
    body = conforms(response, "POST", "/cases/{number}/links")
    assert response.status_code == 201
    assert body["role"] == "child_of" and body["case"] == shown(parent)
    assert body["subject"] == "Outage" and body["status"] == "new" and body["is_open"]
    from_parent = conforms(agent_api.get(f"/cases/{shown(parent)}/links"), "GET",
                           "/cases/{number}/links")
    assert [(link["id"], link["role"], link["case"]) for link in from_parent] == [
        (body["id"], "parent_of", shown(child))]
    kinds = [e["kind"] for e in agent_api.get(f"/cases/{shown(parent)}/timeline")
             .json()["items"]]
    assert "link_added" in kinds


def test_refusals_are_409_for_conflicts_and_422_for_bad_input(agent_api, tenant) -> None:
    a, b, c = (make_case(tenant) for _ in range(3))
    assert agent_api.post(f"/cases/{shown(a)}/links",
                          {"kind": "parent_of", "case": shown(b)}).status_code == 201
    error(agent_api.post(f"/cases/{shown(a)}/links", {"kind": "parent_of", "case": shown(b)}),
          409, mentions=("already",))
    error(agent_api.post(f"/cases/{shown(c)}/links", {"kind": "parent_of", "case": shown(b)}),
          409, mentions=("has a parent already",))
    error(agent_api.post(f"/cases/{shown(b)}/links", {"kind": "parent_of", "case": shown(a)}),
          409, mentions=("own ancestor",))
    error(agent_api.post(f"/cases/{shown(a)}/links", {"kind": "related_to", "case": shown(a)}),
          422, field="case")
    error(agent_api.post(f"/cases/{shown(a)}/links", {"kind": "twin_of", "case": shown(c)}),
          422, field="kind")
    error(agent_api.post(f"/cases/{shown(a)}/links", {"kind": "related_to", "case": "CS-999999"}),
          404)
    assert CaseLink.objects.count() == 1


def test_a_link_is_removed_from_either_side(agent_api, tenant) -> None:
    a, b, unrelated = (make_case(tenant) for _ in range(3))
    link = agent_api.post(f"/cases/{shown(a)}/links",
                          {"kind": "related_to", "case": shown(b)}).json()
    error(agent_api.delete(f"/cases/{shown(unrelated)}/links/{link['id']}"), 404)
    response = agent_api.delete(f"/cases/{shown(b)}/links/{link['id']}")
    assert response.status_code == 204
    assert agent_api.get(f"/cases/{shown(a)}/links").json() == []
    error(agent_api.delete(f"/cases/{shown(b)}/links/{link['id']}"), 404)
    error(agent_api.delete(f"/cases/{shown(b)}/links/0"), 404)


def test_closing_a_parent_with_an_open_child_is_a_409_naming_it(agent_api, admin, tenant
                                                               ) -> None:
    parent, child = make_case(tenant), make_case(tenant)
    agent_api.post(f"/cases/{shown(parent)}/links", {"kind": "parent_of", "case": shown(child)})
    for to in ("open", "in_progress", "resolved"):
        case_transition(case=parent, actor=admin.user, to=to, note="n", now=NOW)
    error(agent_api.post(f"/cases/{shown(parent)}/transitions",
                         {"to": "closed", "note": "done", "closed_reason": "Resolved"}),
          409, mentions=(shown(child),))


def test_the_tenant_setting_is_read_and_changed_through_the_settings_api(admin_api) -> None:
    assert admin_api.get("/tenant/settings").json()["parent_close_needs_children_closed"]
    response = admin_api.patch("/tenant/settings", {"parent_close_needs_children_closed": False})
    assert response.status_code == 200, response.content
    assert response.json()["parent_close_needs_children_closed"] is False


def test_list_filter_has_open_children(agent_api, tenant) -> None:
    parent, child, loner = make_case(tenant), make_case(tenant), make_case(tenant)
    agent_api.post(f"/cases/{shown(parent)}/links", {"kind": "parent_of", "case": shown(child)})
    body = conforms(agent_api.get("/cases", has_open_children="true"), "GET", "/cases")
    assert numbers(body["items"]) == [shown(parent)]
    assert shown(loner) in numbers(agent_api.get("/cases").json()["items"])


def test_has_open_children_lists_none_of_another_tenants_parents(foreign, admin_api) -> None:
    assert admin_api.get("/cases", has_open_children="true").json()["items"] == []
