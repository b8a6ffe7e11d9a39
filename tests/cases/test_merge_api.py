"""The merge API: merging, the old number answering with a redirect, writes on a merged case
refused, undo, and the errors (another tenant's number, bad input, refusals)."""

from typing import Any

import pytest

from casedesk.cases.models import Case
from tests.api_checks import conforms, error
from tests.conftest import Api, Foreign

pytestmark = pytest.mark.django_db


def test_merge_then_the_old_number_redirects_to_the_target(
        admin_api: Api, new_case: Any, clock: Any) -> None:
    target, source = new_case(subject="Printer on fire"), new_case(subject="Printer burning")
    admin_api.post(f"/cases/{source['number']}/notes", {"body": "Photo attached", "public": False})
    response = admin_api.post(f"/cases/{target['number']}/merge",
                              {"sources": [source["number"]]})
    assert response.status_code == 200, response.content
    body = conforms(response, "POST", "/cases/{number}/merge")
    assert body["target"] == target["number"]
    assert body["merged"][0]["case"] == source["number"] and body["merged"][0]["notes"] == 1
    assert body["undo_until"] is not None
    moved = admin_api.get(f"/cases/{source['number']}")
    assert moved.status_code == 308
    assert moved["Location"].endswith(f"/api/v1/cases/{target['number']}")
    assert conforms(moved, "GET", "/cases/{number}")["merged_into"] == target["number"]
    notes = admin_api.get(f"/cases/{target['number']}/notes").json()
    assert "Photo attached" in [n["body"] for n in notes]
    followed = admin_api.client.get(moved["Location"])
    assert followed.status_code == 200 and followed.json()["number"] == target["number"]


def test_writes_on_a_merged_case_are_refused_naming_the_target(
        admin_api: Api, new_case: Any, clock: Any) -> None:
    target, source = new_case(), new_case()
    admin_api.post(f"/cases/{target['number']}/merge", {"sources": [source["number"]]})
    error(admin_api.post(f"/cases/{source['number']}/notes", {"body": "x", "public": False}),
          409, mentions=(f"merged into {target['number']}",))
    error(admin_api.patch(f"/cases/{source['number']}", {"subject": "y"}), 409,
          mentions=("merged into",))


def test_another_tenants_number_is_not_found(admin_api: Api, new_case: Any,
                                             foreign: Foreign, clock: Any) -> None:
    mine = new_case()
    error(admin_api.post(f"/cases/{mine['number']}/merge", {"sources": [foreign.case_number]}),
          404)
    error(admin_api.post(f"/cases/{foreign.case_number}/merge", {"sources": [mine["number"]]}),
          404)
    error(admin_api.post(f"/cases/{foreign.case_number}/merge/undo"), 404)
    assert not Case.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize("body", [
    {"sources": []}, {"sources": ["x" * 41]}, {"sources": ["CS-1\x00"]}, {},
    {"sources": ["CS-1"] * 21},
])
def test_bad_bodies_are_422(admin_api: Api, new_case: Any, body: Any, clock: Any) -> None:
    error(admin_api.post(f"/cases/{new_case()['number']}/merge", body), 422)


def test_a_case_into_itself_is_422_and_a_merged_one_409(admin_api: Api, new_case: Any,
                                                        clock: Any) -> None:
    target, source, third = new_case(), new_case(), new_case()
    error(admin_api.post(f"/cases/{target['number']}/merge", {"sources": [target["number"]]}),
          422, mentions=("itself",))
    admin_api.post(f"/cases/{target['number']}/merge", {"sources": [source["number"]]})
    error(admin_api.post(f"/cases/{third['number']}/merge", {"sources": [source["number"]]}),
          409, mentions=("already",))


def test_other_accounts_need_confirm_other_account(admin_api: Api, new_case: Any,
                                                   tenant: Any, clock: Any) -> None:
    from tests.factories import AccountFactory

    one, two = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    target, source = new_case(account_id=one.pk), new_case(account_id=two.pk)
    path = f"/cases/{target['number']}/merge"
    error(admin_api.post(path, {"sources": [source["number"]]}), 409, mentions=("confirm",))
    ok = admin_api.post(path, {"sources": [source["number"]], "confirm_other_account": True})
    assert ok.status_code == 200


def test_an_agent_may_merge_and_undo(agent_api: Api, new_case: Any, clock: Any) -> None:
    target, source = new_case(), new_case()
    assert agent_api.post(f"/cases/{target['number']}/merge",
                          {"sources": [source["number"]]}).status_code == 200
    undone = agent_api.post(f"/cases/{source['number']}/merge/undo")
    body = conforms(undone, "POST", "/cases/{number}/merge/undo")
    assert body["undo_until"] is None and body["merged"][0]["case"] == source["number"]
    assert agent_api.get(f"/cases/{source['number']}").json()["status"] == "new"
    error(agent_api.post(f"/cases/{source['number']}/merge/undo"), 409, mentions=("No merge",))


def test_undo_after_a_day_is_409(admin_api: Api, new_case: Any, clock: Any) -> None:
    target, source = new_case(), new_case()
    admin_api.post(f"/cases/{target['number']}/merge", {"sources": [source["number"]]})
    clock.advance(hours=25)
    error(admin_api.post(f"/cases/{target['number']}/merge/undo"), 409,
          mentions=("24 hours",))


def test_unauthenticated_is_401(anonymous_api: Api) -> None:
    error(anonymous_api.post("/cases/CS-1/merge", {"sources": ["CS-2"]}), 401)
