"""The similar-cases card and the draft on the case page, and their API: the planted twin
shown with its resolution, the draft put in a box (never sent), another tenant's case a 404,
and the slots on the case page."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.assist.similar import similar_rebuild
from casedesk.assist.synthetic import HistoryReport, history_write
from casedesk.cases.models import Case, Note
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, login


@pytest.fixture
def history(tenant: Tenant, admin: Membership) -> HistoryReport:
    report = history_write(tenant, n=200, seed=7, now=NOW - timedelta(days=1), duplicates=10)
    similar_rebuild(tenant, NOW)
    return report


def _pair(history: HistoryReport) -> tuple[Case, Case]:
    earlier, later = history.duplicates[0]
    return Case.objects.get(pk=earlier), Case.objects.get(pk=later)


def test_api_lists_similar_cases_with_their_resolution(
    agent_api: Api, history: HistoryReport
) -> None:
    earlier, later = _pair(history)
    response = agent_api.get(f"/cases/{later.display_number}/similar")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == later.display_number
    numbers = [s["number"] for s in body["similar"]]
    assert earlier.display_number in numbers and len(numbers) <= 5
    twin = body["similar"][numbers.index(earlier.display_number)]
    assert twin["resolution"] == earlier.closure_note.strip()
    assert 0 < twin["score"] <= 1
    limited = agent_api.get(f"/cases/{later.display_number}/similar", limit=1).json()
    assert len(limited["similar"]) == 1


@pytest.mark.parametrize("limit", [0, 21, "x"])
def test_api_refuses_a_bad_limit(agent_api: Api, history: HistoryReport, limit: Any) -> None:
    _, later = _pair(history)
    response = agent_api.get(f"/cases/{later.display_number}/similar", limit=limit)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_api_draft_is_text_with_sources_and_sends_nothing(
    agent_api: Api, history: HistoryReport
) -> None:
    _, later = _pair(history)
    notes = Note.objects.count()
    body = agent_api.get(f"/cases/{later.display_number}/draft").json()
    assert body["found"] is True and body["text"]
    assert any(source["kind"] == "case" for source in body["sources"])
    assert Note.objects.count() == notes


def test_api_answers_404_for_another_tenants_case(
    outsider_api: Api,
    agent_api: Api,
    history: HistoryReport,
    other_tenant: Tenant,
    outsider: Membership,
) -> None:
    _, later = _pair(history)
    for path in ("similar", "draft"):
        response = outsider_api.get(f"/cases/{later.display_number}/{path}")
        assert response.status_code == 404
        assert "detail" in response.json()
    assert agent_api.get("/cases/CS-999999/similar").status_code == 404


def test_api_needs_a_token(anonymous_api: Api, history: HistoryReport) -> None:
    _, later = _pair(history)
    assert anonymous_api.get(f"/cases/{later.display_number}/similar").status_code == 401


def test_the_card_shows_the_twin_and_its_resolution(
    agent: Membership, history: HistoryReport
) -> None:
    earlier, later = _pair(history)
    client = login(agent)
    response = client.get(f"/cases/{later.display_number}/similar", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="similar-panel"' in html and "<html" not in html
    assert earlier.display_number in html
    assert earlier.closure_note.strip()[:40] in html
    # Without htmx it is a page of its own.
    page = client.get(f"/cases/{later.display_number}/similar")
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_the_draft_page_shows_text_to_copy(agent: Membership, history: HistoryReport) -> None:
    _, later = _pair(history)
    client = login(agent)
    page = client.get(f"/cases/{later.display_number}/draft").content.decode()
    assert "<html" in page and 'data-testid="draft-text"' in page
    assert "Nothing has been sent" in page
    fragment = client.get(f"/cases/{later.display_number}/draft", HTTP_HX_REQUEST="true")
    assert "data-draft-text" in fragment.content.decode()


def test_pages_hide_another_tenants_case(outsider: Membership, history: HistoryReport) -> None:
    _, later = _pair(history)
    client = login(outsider)
    for path in ("similar", "draft"):
        assert client.get(f"/cases/{later.display_number}/{path}").status_code == 404


def test_the_case_page_has_the_card_and_the_button(
    agent: Membership, history: HistoryReport
) -> None:
    _, later = _pair(history)
    html = login(agent).get(f"/cases/{later.display_number}").content.decode()
    assert f'hx-get="/cases/{later.display_number}/similar"' in html
    assert html.index('id="kb-suggestions-card"') < html.index('id="similar-card"')
    assert f'data-draft-url="/cases/{later.display_number}/draft"' in html
    assert "assist/similar.js" in html
