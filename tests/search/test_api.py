"""`GET /api/v1/search`: the shape it documents, internal notes for members, errors."""

from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from casedesk.tenancy.models import Membership, Tenant
from tests.api_checks import conforms, error
from tests.conftest import NOW, Api
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_search_answers_as_documented(tenant: Tenant, agent: Membership, agent_api: Api,
                                      new_case: Any) -> None:
    created = new_case(subject="Ocelot printer", description="the <b>ocelot</b> model")
    other = make_case(tenant, subject="Unrelated")
    case_add_note(case=other, actor=agent.user, body="An ocelot in the notes.", is_public=False,
                  now=NOW)
    body = conforms(agent_api.get("/search", q="ocelot"), "GET", "/search")
    assert [c["number"] for c in body["cases"]] == [created["number"], other.display_number]
    assert body["cases"][0]["matched"] == "case"
    assert body["cases"][1]["matched"] == "internal"
    assert "<mark>ocelot</mark>" in body["cases"][0]["snippet"]
    assert "<b>" not in body["cases"][0]["snippet"]
    assert body["total"] == 2 and body["capped"] is False
    assert {f["value"] for f in body["facets"]["status"]} == {"new"}


def test_filters_by_operator_and_jumps(agent_api: Api, new_case: Any) -> None:
    created = new_case(subject="Heron sync")
    body = conforms(agent_api.get("/search", q=f"#{created['number'].split('-')[1]}"),
                    "GET", "/search")
    assert body["jump"] == created["number"]
    body = agent_api.get("/search", q="heron status:closed").json()
    assert body["cases"] == [] and body["total"] == 0


def test_pages_with_offset_and_limit(tenant: Tenant, agent_api: Api) -> None:
    for k in range(5):
        make_case(tenant, subject=f"Badger {k}")
    first = agent_api.get("/search", q="badger", limit=2).json()
    second = agent_api.get("/search", q="badger", limit=2, offset=2).json()
    assert first["total"] == 5 and len(first["cases"]) == 2 and len(second["cases"]) == 2
    assert not {c["number"] for c in first["cases"]} & {c["number"] for c in second["cases"]}


@pytest.mark.parametrize(("q", "status"), [
    ("status:maybe", 422), ("owner:nobody", 422), ("queue:Nowhere", 422), ("a\x00b", 422),
    ("x" * 501, 422), ("", 422)])
def test_bad_queries_are_422(agent_api: Api, q: str, status: int) -> None:
    error(agent_api.get("/search", q=q), status)


@pytest.mark.parametrize("q", ["&|!():*'\"\\", "-", '"', "NEAR(a b) OR *", "x" * 500])
def test_engine_syntax_is_harmless(agent_api: Api, q: str) -> None:
    assert agent_api.get("/search", q=q).status_code == 200


def test_needs_a_token(anonymous_api: Api) -> None:
    error(anonymous_api.get("/search", q="x"), 401)


def test_another_tenants_cases_never_show(tenant: Tenant, other_tenant: Tenant,
                                          agent_api: Api, outsider_api: Api) -> None:
    make_case(other_tenant, subject="Pangolin outage")
    assert agent_api.get("/search", q="pangolin").json()["cases"] == []
    assert len(outsider_api.get("/search", q="pangolin").json()["cases"]) == 1
    assert Case.objects.filter(subject="Pangolin outage").count() == 1
