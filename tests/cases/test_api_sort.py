"""Sorting the case list by every column it shows: the keyset pages of each sort, walked to
the end, hold every case once in the order the sort promises (`cases.list_sort`), through
the selector and through `GET /api/v1/cases?sort=`."""

from typing import Any

import pytest

from casedesk.cases.list_sort import SORTS, parse_sort, sorted_page
from casedesk.cases.models import Case
from casedesk.cases.selectors import CaseFilters, case_list
from casedesk.core.cursors import encode_cursor
from casedesk.core.errors import Invalid
from casedesk.tenancy.models import Membership, Tenant
from tests.cases import sort_cases
from tests.conftest import Api
from tests.factories import make_case


@pytest.fixture
def listed(tenant: Tenant, agent: Membership, agent2: Membership,
           manager: Membership) -> list[Case]:
    return sort_cases.build(tenant, [agent, agent2, manager])


def walk(read: Any) -> list[int]:
    """Every page `read(cursor)` gives, followed to the end: the numbers in order."""
    numbers: list[int] = []
    cursor = None
    for _ in range(200):
        items, cursor = read(cursor)
        numbers += items
        if cursor is None:
            return numbers
    raise AssertionError("the pages never end")


def test_parse_sort_takes_each_column_both_ways_and_nothing_else() -> None:
    assert parse_sort("-updated") == ("updated", True)
    assert parse_sort(" owner ") == ("owner", False)
    assert {parse_sort(s)[0] for s in SORTS} == {
        "number", "subject", "status", "priority", "sla", "queue", "owner", "contact",
        "account", "created", "updated"}
    assert all(f"-{s}" in SORTS for s in SORTS if not s.startswith("-"))
    for bad in ("--number", "Number", "owner__email", "", "-", "number,-priority", "id"):
        with pytest.raises(Invalid, match="sort by one of: number, subject"):
            parse_sort(bad)


def test_every_sort_pages_through_every_case_once_in_its_order(
        tenant: Tenant, listed: list[Case]) -> None:
    for sort in SORTS:
        want = sort_cases.expected(listed, sort)

        def read(cursor: str | None, sort: str = sort) -> tuple[list[int], str | None]:
            page = case_list(tenant, CaseFilters(), cursor=cursor, limit=7, sort=sort)
            return [c.number for c in page.items], page.next_cursor

        assert walk(read) == want, sort


def test_sorts_page_correctly_inside_a_filter(tenant: Tenant, listed: list[Case]) -> None:
    open_cases = [c for c in listed if c.is_open]
    high = [c for c in listed if c.priority >= 3 and c.status in ("new", "closed")]
    for filters, cases in ((CaseFilters(open_only=True), open_cases),
                           (CaseFilters(priority=[3, 4], status=["new", "closed"]), high)):
        for sort in ("sla", "-owner", "status", "-status", "priority", "-priority", "-created"):
            def read(cursor: str | None, sort: str = sort,
                     filters: CaseFilters = filters) -> tuple[list[int], str | None]:
                page = case_list(tenant, filters, cursor=cursor, limit=4, sort=sort)
                return [c.number for c in page.items], page.next_cursor

            assert walk(read) == sort_cases.expected(cases, sort), (filters, sort)


def test_names_sort_as_shown_and_cases_without_one_come_last(
        tenant: Tenant, listed: list[Case]) -> None:
    by_owner = case_list(tenant, CaseFilters(), limit=200, sort="owner").items
    shown = [c.owner.display_name if c.owner else None for c in by_owner]
    # carl has no full name: his email is what the list shows and sorts by.
    assert [n for i, n in enumerate(shown) if n not in shown[:i]] == [
        "Alice Agent", "Bob Agent", "carl@acme.test", "Mona Manager", None]
    by_account = case_list(tenant, CaseFilters(), limit=200, sort="-account").items
    names = [c.account.name if c.account else None for c in by_account]
    assert names[0] == "Umbrella" and names[-1] is None
    # "acme" and "Acme" are one name to the sort: newest first among both.
    acme = [c.number for c in by_account if c.account and c.account.name.lower() == "acme"]
    assert acme == sorted(acme, reverse=True)


def test_a_cursor_only_continues_the_sort_that_made_it(tenant: Tenant,
                                                       listed: list[Case]) -> None:
    page = case_list(tenant, CaseFilters(), limit=10, sort="-updated")
    assert page.next_cursor is not None
    with pytest.raises(Invalid, match="another sort order"):
        case_list(tenant, CaseFilters(), cursor=page.next_cursor, sort="updated")
    for forged in (["-updated", "yesterday", 5], ["-updated", None, 5],
                   ["-updated", "2026-01-01T00:00:00+00:00", True],
                   ["-updated", "2026-01-01T00:00:00+00:00", -1], ["owner", 7, 5],
                   ["owner", "x" * 301, 5], ["-priority", "high", 5], ["-priority", 9, 5],
                   ["status", -1, 5], ["status", True, 5]):
        with pytest.raises(Invalid, match="cursor"):
            case_list(tenant, CaseFilters(), cursor=encode_cursor(forged),
                      sort=str(forged[0]))


def test_default_sort_keeps_its_plain_cursor(tenant: Tenant, listed: list[Case]) -> None:
    qs = Case.objects.filter(tenant=tenant)
    items, cursor = sorted_page(qs, "-number", cursor=None, limit=5)
    assert cursor == encode_cursor([items[-1].number])
    sql = str(qs.order_by("-number").query)
    assert "list_sort_key" not in sql  # no sort expression on the default path


def test_api_lists_in_every_sort_across_pages(agent_api: Api, listed: list[Case]) -> None:
    for sort in SORTS:
        def read(cursor: str | None, sort: str = sort) -> tuple[list[int], str | None]:
            params = {"sort": sort, "limit": 50, **({"cursor": cursor} if cursor else {})}
            response = agent_api.get("/cases", **params)
            assert response.status_code == 200, response.content
            body = response.json()
            return [int(i["number"].rsplit("-", 1)[1]) for i in body["items"]], \
                body["next_cursor"]

        assert walk(read) == sort_cases.expected(listed, sort), sort


def test_api_sort_with_a_filter(agent_api: Api, agent: Membership,
                                listed: list[Case]) -> None:
    response = agent_api.get("/cases", sort="-priority", owner="me", limit=100)
    mine = [c for c in listed if c.owner_id == agent.user_id]
    got = [int(i["number"].rsplit("-", 1)[1]) for i in response.json()["items"]]
    assert got == sort_cases.expected(mine, "-priority")


def test_api_refuses_an_unknown_sort_or_a_foreign_cursor(agent_api: Api,
                                                         listed: list[Case]) -> None:
    response = agent_api.get("/cases", sort="owner_email")
    assert response.status_code == 422
    assert "sort" in response.json()["detail"] and "'-updated'" in response.json()["detail"]
    cursor = agent_api.get("/cases", sort="subject", limit=5).json()["next_cursor"]
    response = agent_api.get("/cases", sort="-subject", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["detail"] == ("This cursor belongs to another sort order; start "
                                         "from the first page.")


def test_openapi_documents_the_sorts(agent_api: Api) -> None:
    spec = agent_api.client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    sort = params["sort"]
    assert sort["schema"]["enum"] == list(SORTS) or set(
        _enum(sort["schema"], spec)) == set(SORTS)
    assert sort["schema"].get("default") == "-number" or "-number" in str(sort)
    assert "Ties go newest first" in sort.get("description", "")


def _enum(schema: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return list(spec["components"]["schemas"][name]["enum"])
    return list(schema.get("enum", []))


def test_long_text_in_any_script_pages_with_a_cursor_the_api_takes(
        tenant: Tenant, agent_api: Api) -> None:
    # 255 characters outside the BMP: the sort reads the first 100, ties go newest first.
    same = "😀" * 100
    made = [make_case(tenant, subject=same + tail * 155) for tail in ("😎", "🙂", "😀")]
    made.append(make_case(tenant, subject="😀" * 99 + "😎"))  # 😎 comes after 😀
    seen: list[str] = []
    params: dict[str, Any] = {"sort": "-subject", "limit": 1}
    for _ in range(10):
        response = agent_api.get("/cases", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [i["number"] for i in body["items"]]
        if not body["next_cursor"]:
            break
        assert len(body["next_cursor"]) <= 2000
        params["cursor"] = body["next_cursor"]
    assert seen == [c.display_number for c in (made[3], made[2], made[1], made[0])]
