"""The survey page (one click, comment, bad links) and the settings page's permissions."""

from datetime import timedelta
from typing import Any

from django.test import Client

from casedesk.csat.models import CsatSettings, Survey
from casedesk.csat.services import surveys_send_due
from casedesk.csat.tokens import survey_token
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.csat.helpers import links_of, resolved_case, survey_mail, survey_of, survey_path

DUE = NOW + timedelta(hours=24)


def _surveyed(tenant: Tenant, agent: Membership, clock: Clock, **fields: Any) -> Survey:
    case = resolved_case(tenant, agent, NOW, **fields)
    surveys_send_due(DUE)
    clock.now = DUE + timedelta(hours=1)
    return survey_of(case)


def test_one_click_records_the_rating_and_asks_for_a_comment(
        tenant: Tenant, agent: Membership, clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    bad_link = links_of(survey_mail(survey.case))[1]
    response = Client().get(bad_link)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert 'data-testid="survey-rating">Bad<' in page and "csrfmiddlewaretoken" in page
    assert "console" not in page.lower()
    survey.refresh_from_db()
    assert (survey.rating, survey.answered_at) == (1, clock.now)


def test_the_comment_is_posted_with_csrf(tenant: Tenant, agent: Membership,
                                         clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    path = survey_path(survey.case)
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(path + "?rating=5").status_code == 200
    assert browser.post(path, {"comment": "Thanks!"}).status_code == 403  # no token
    token = browser.cookies["csrftoken"].value
    response = browser.post(path, {"comment": "Thanks!", "rating": "5",
                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and b'data-testid="survey-saved"' in response.content
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (5, "Thanks!")


def test_a_second_answer_on_the_page_replaces_the_first(
        tenant: Tenant, agent: Membership, clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    path = survey_path(survey.case)
    Client().get(path + "?rating=5")
    Client().post(path, {"rating": "1", "comment": "Actually it broke again."})
    assert Survey.objects.filter(case=survey.case).count() == 1
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (1, "Actually it broke again.")


def test_without_a_rating_the_page_asks_for_one(tenant: Tenant, agent: Membership,
                                                clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    path = survey_path(survey.case)
    assert b"How did we do?" in Client().get(path).content
    assert Client().post(path, {"comment": "hello"}).status_code == 422
    assert Client().get(path + "?rating=3").status_code == 422  # not on the good/bad scale
    assert Client().get(path + "?rating=abc").status_code == 422
    survey.refresh_from_db()
    assert survey.rating is None


def test_an_expired_link_is_a_410_page(tenant: Tenant, agent: Membership, clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    clock.now = survey.expires_at
    response = Client().get(survey_path(survey.case) + "?rating=5")
    assert response.status_code == 410 and b"survey-expired" in response.content
    survey.refresh_from_db()
    assert survey.rating is None


def test_a_forged_or_altered_link_is_a_404_page(tenant: Tenant, agent: Membership,
                                                clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    path = survey_path(survey.case)
    for bad in (path[:-2] + "xx", "/surveys/nonsense", "/surveys/" + "a" * 5000,
                "/surveys/" + survey_token(survey.pk, "other-nonce")):
        response = Client().get(bad + "?rating=5")
        assert response.status_code == 404, bad
        assert b"survey-invalid" in response.content
    survey.refresh_from_db()
    assert survey.rating is None


def test_a_link_answers_only_its_own_case(tenant: Tenant, agent: Membership,
                                          clock: Clock) -> None:
    first = resolved_case(tenant, agent, NOW, email="one@example.com")
    second = resolved_case(tenant, agent, NOW, email="two@example.com")
    surveys_send_due(DUE)
    clock.now = DUE
    Client().get(survey_path(first) + "?rating=1")
    assert survey_of(first).rating == 1
    assert survey_of(second).rating is None
    # The second survey's id with the first's nonce is a link nobody was sent.
    forged = survey_token(survey_of(second).pk, survey_of(first).nonce)
    assert Client().get(f"/surveys/{forged}?rating=1").status_code == 404


def test_the_case_page_shows_the_answer(tenant: Tenant, agent: Membership,
                                        clock: Clock) -> None:
    survey = _surveyed(tenant, agent, clock)
    page = login(agent).get(f"/cases/{survey.case.display_number}").content.decode()
    assert 'data-testid="csat-waiting"' in page
    Client().post(survey_path(survey.case), {"rating": "1", "comment": "Too slow"})
    page = login(agent).get(f"/cases/{survey.case.display_number}").content.decode()
    assert 'data-testid="csat-rating">Bad<' in page and "Too slow" in page
    assert "The customer rated: Bad" in page  # the timeline


def test_settings_page_admins_change_managers_read_agents_not(
        tenant: Tenant, admin: Membership, manager: Membership, agent: Membership,
        finance: Queue, clock: Clock) -> None:
    assert login(agent).get("/settings/csat").status_code == 403
    page = login(manager).get("/settings/csat")
    assert page.status_code == 200 and b"Only an admin may change" in page.content
    assert login(manager).post("/settings/csat", {"delay_hours": "2", "scale": "good_bad"}
                               ).status_code == 403
    response = login(admin).post("/settings/csat", {
        "enabled": "on", "delay_hours": "48", "scale": "one_to_five", "queues": [finance.pk]})
    assert response.status_code == 302
    config = CsatSettings.objects.get(tenant=tenant)
    assert (config.enabled, config.delay_hours, config.scale, config.queues) == (
        True, 48, "one_to_five", [finance.pk])
    refused = login(admin).post("/settings/csat", {"delay_hours": "9999", "scale": "x"})
    assert refused.status_code == 422
    assert CsatSettings.objects.get(tenant=tenant).delay_hours == 48


def test_settings_page_offers_only_the_tenants_queues(
        tenant: Tenant, admin: Membership, other_tenant: Tenant, clock: Clock) -> None:
    foreign = Queue.objects.filter(tenant=other_tenant).first()
    assert foreign is not None
    response = login(admin).post("/settings/csat", {
        "delay_hours": "24", "scale": "good_bad", "queues": [foreign.pk]})
    assert response.status_code == 422
    assert not CsatSettings.objects.filter(tenant=tenant).exists()
