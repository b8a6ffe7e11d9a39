"""The case list sorts by every column it shows: header links both ways (the active one
marked), the pages' "Next" links keep the sort with no case twice or missed, saved views
keep it, and an unknown sort is a form error that leaves the filters standing."""

import re
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict
from django.test import Client

from casedesk.cases.list_sort import SORTS
from casedesk.cases.models import Case
from casedesk.console.case_columns import COLUMNS, sort_headers
from casedesk.console.models import SavedView
from casedesk.tenancy.models import Membership, Tenant
from tests.cases import sort_cases
from tests.conftest import login

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "case-results"}


@pytest.fixture
def listed(tenant: Tenant, agent: Membership, agent2: Membership,
           manager: Membership) -> list[Case]:
    return sort_cases.build(tenant, [agent, agent2, manager])


def numbers(response: object) -> list[int]:
    return [c.number for c in response.context["page"].items]  # type: ignore[attr-defined]


def header(body: str, key: str) -> str:
    found = re.search(rf'<th[^>]*><a href="[^"]*" class="sort-link" data-sort="{key}">.*?</th>',
                      body)
    assert found, key
    return found.group(0)


def test_every_column_shown_has_a_sort_both_ways() -> None:
    assert {c.key for c in COLUMNS} == {s.removeprefix("-") for s in SORTS}
    assert all(c.first in SORTS for c in COLUMNS)


def test_header_links_toggle_keep_filters_and_drop_the_cursor() -> None:
    query = QueryDict("status=open&status=new&q=printer&cursor=abc&sort=-priority")
    headers = {h.column.key: h for h in sort_headers(query, "-priority")}
    priority = headers["priority"]
    assert (priority.aria_sort, priority.arrow) == ("descending", "↓")
    assert parse_qs(priority.query) == {"status": ["open", "new"], "q": ["printer"],
                                        "sort": ["priority"]}
    assert parse_qs(headers["owner"].query)["sort"] == ["owner"]
    assert parse_qs(headers["updated"].query)["sort"] == ["-updated"]
    assert headers["owner"].aria_sort == "" and headers["owner"].arrow == ""
    ascending = {h.column.key: h for h in sort_headers(QueryDict(), "owner")}["owner"]
    assert (ascending.aria_sort, parse_qs(ascending.query)["sort"]) == ("ascending", ["-owner"])
    # Age counts back from now: newest first is the youngest age first.
    age = {h.column.key: h for h in sort_headers(QueryDict(), "-created")}["created"]
    assert (age.aria_sort, age.arrow, parse_qs(age.query)["sort"]) == (
        "ascending", "↑", ["created"])


def test_every_sort_walks_the_pages_by_their_next_links(tenant: Tenant, agent: Membership,
                                                        listed: list[Case]) -> None:
    client = login(agent)
    for sort in SORTS:
        seen: list[int] = []
        response = client.get(f"/cases?sort={sort}")
        for _ in range(5):
            assert response.status_code == 200
            seen += numbers(response)
            if not response.context["page"].next_cursor:
                break
            next_query = response.context["next_query"]
            assert QueryDict(next_query)["sort"] == sort
            response = client.get(f"/cases?{next_query}")
        assert seen == sort_cases.expected(listed, sort), sort


def test_the_active_header_is_marked_and_links_the_other_way(
        agent: Membership, listed: list[Case]) -> None:
    body = login(agent).get("/cases?status=open&sort=contact").content.decode()
    contact = header(body, "contact")
    assert 'aria-sort="ascending"' in contact and "↑" in contact
    assert "sort=-contact" in contact and "status=open" in contact
    assert "aria-sort" not in header(body, "subject")
    assert body.count("aria-sort=") == 1
    default = login(agent).get("/cases").content.decode()
    assert 'aria-sort="descending"' in header(default, "number")


def test_contact_and_account_have_their_columns(agent: Membership,
                                                listed: list[Case]) -> None:
    body = login(agent).get("/cases?sort=contact").content.decode()
    first_rows = body.split("<tbody>", 1)[1]
    assert first_rows.index("bea") < first_rows.index("dora@example.com")
    assert ">Umbrella<" in body
    assert "Zara Zed" in login(agent).get("/cases?sort=-contact").content.decode()


def test_an_unknown_sort_is_a_form_error_and_the_filters_stay(
        agent: Membership, listed: list[Case]) -> None:
    response = login(agent).get("/cases", {"status": "closed", "sort": "-owner_email"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in body
    assert "Unknown sort “-owner_email”" in body
    assert "not understood" not in body
    closed = [c for c in listed if c.status == "closed"]
    assert numbers(response) == sort_cases.expected(closed, "-number")
    assert "owner_email" not in response.context["query"]  # a view saved now leaves it out


def test_a_saved_view_keeps_its_sort(agent: Membership, listed: list[Case]) -> None:
    client = login(agent)
    page = client.get("/cases", {"status": "open", "sort": "-owner"})
    client.post("/cases/views", {"name": "Open by owner", "query": page.context["query"]})
    view = SavedView.objects.get(user=agent.user, name="Open by owner")
    assert QueryDict(view.query)["sort"] == "-owner"
    body = client.get("/cases").content.decode()
    assert f'href="?{view.query}"' in body.replace("&amp;", "&")
    reopened = client.get(f"/cases?{view.query}")
    open_cases = [c for c in listed if c.status == "open"]
    assert numbers(reopened) == sort_cases.expected(open_cases, "-owner")
    assert 'aria-sort="descending"' in header(reopened.content.decode(), "owner")


def test_the_filter_form_carries_the_sort_into_htmx_swaps(agent: Membership,
                                                          listed: list[Case]) -> None:
    client: Client = login(agent)
    full = client.get("/cases", {"sort": "sla"}).content.decode()
    assert '<input type="hidden" name="sort" value="sla">' in full
    swapped = client.get("/cases", {"sort": "sla", "status": "new"}, **HX)
    assert "<h1>" not in swapped.content.decode()
    new_cases = [c for c in listed if c.status == "new"]
    assert numbers(swapped) == sort_cases.expected(new_cases, "sla")


def test_a_cursor_of_another_sort_sends_back_to_the_list(agent: Membership,
                                                         listed: list[Case]) -> None:
    client = login(agent)
    cursor = client.get("/cases", {"sort": "subject"}).context["page"].next_cursor
    response = client.get("/cases", {"sort": "-subject", "cursor": cursor}, follow=True)
    assert "This cursor belongs to another sort order" in response.content.decode()
