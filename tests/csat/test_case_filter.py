"""The case list filtered by the customer's satisfaction answer: good, bad or any, in the
console and the API, one tenant only."""

from datetime import timedelta

import pytest

from casedesk.cases.selectors import CaseFilters, case_list
from casedesk.core.errors import Invalid
from casedesk.csat.models import CsatSettings
from casedesk.csat.services import survey_answer, survey_send
from tests.conftest import NOW, login
from tests.csat.helpers import resolved_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(tenant, agent):
    """Three resolved cases: rated 5, rated 1, and surveyed but not answered."""
    cases = {}
    for name, rating in (("good", 5), ("bad", 1), ("silent", None)):
        case = resolved_case(tenant, agent, NOW, subject=f"{name} case",
                             email=f"{name}@example.com")
        survey = survey_send(case=case, config=CsatSettings(tenant=tenant),
                             now=NOW + timedelta(days=1))
        assert survey is not None
        if rating is not None:
            survey_answer(survey_id=survey.pk, rating=rating, now=NOW + timedelta(days=1))
        cases[name] = case
    return cases


def _numbers(tenant, answer: str) -> set[int]:
    return {c.number for c in case_list(tenant, CaseFilters(csat=answer)).items}


def test_the_list_filters_by_the_answer(tenant, other_tenant, agent, rated) -> None:
    assert _numbers(tenant, "good") == {rated["good"].number}
    assert _numbers(tenant, "bad") == {rated["bad"].number}
    assert _numbers(tenant, "rated") == {rated["good"].number, rated["bad"].number}
    assert _numbers(other_tenant, "rated") == set()
    with pytest.raises(Invalid):
        case_list(tenant, CaseFilters(csat="great"))


def test_the_console_and_the_api_take_the_filter(tenant, agent, agent_api, rated) -> None:
    page = login(agent).get("/cases", {"csat": "bad"}).content.decode()
    assert "bad case" in page and "good case" not in page
    assert 'name="csat"' in page
    body = agent_api.get("/cases?csat=good").json()
    assert [item["subject"] for item in body["items"]] == ["good case"]
    assert agent_api.get("/cases?csat=great").status_code == 422
