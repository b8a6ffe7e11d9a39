"""The knowledge base on a case through the API: suggestions (recorded as shown), opened and
"solved it" counted once per case and article, views and self-service reads; isolation and
bad input."""

import pytest

from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_archive, article_create, article_publish
from tests.api_checks import conforms, error
from tests.conftest import NOW
from tests.factories import make_case

pytestmark = pytest.mark.django_db

OPENED = "/cases/{number}/suggestions/{article_id}/opened"
SOLVED = "/cases/{number}/suggestions/{article_id}/solved"


def _published(tenant, title="Reset your password", *, visibility="public",
               body="Choose *Forgot password* on the login page."):
    article = article_create(tenant=tenant, author=None, title=title, body=body,
                             visibility=visibility, now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def test_suggestions_are_listed_best_first_and_recorded(agent_api, agent, tenant) -> None:
    article = _published(tenant)
    policy = _published(tenant, "Password policy", visibility="internal",
                        body="Twelve characters at least.")
    _published(tenant, "Connect to the VPN", body="Install the client.")
    case = make_case(tenant, subject="Password reset mail never came")
    response = agent_api.get(f"/cases/CS-{case.number}/suggestions")
    body = conforms(response, "GET", "/cases/{number}/suggestions")
    assert [s["article_id"] for s in body] == [article.pk, policy.pk]
    assert body[0]["score"] == 100 and body[0]["rank"] == 1
    assert body[0]["slug"] == "reset-your-password" and body[0]["visibility"] == "public"
    shown = KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_SHOWN, case=case)
    assert sorted(shown.values_list("article_id", "rank", "user_id")) == [
        (article.pk, 1, agent.user_id), (policy.pk, 2, agent.user_id)]


def test_opened_counts_once_per_case_whoever_opens(agent_api, agent2_api, tenant) -> None:
    article = _published(tenant)
    case = make_case(tenant)
    path = OPENED.format(number=f"CS-{case.number}", article_id=article.pk)
    first = conforms(agent_api.post(path, {"score": 87.5, "rank": 1}), "POST", OPENED)
    assert first == {"counted": True}
    assert agent_api.post(path, {"score": 87.5, "rank": 1}).json() == {"counted": False}
    assert agent2_api.post(path, {"score": 50, "rank": 3}).json() == {"counted": False}
    event = KbEvent.objects.get(kind=KbEventKind.SUGGESTION_OPENED)
    assert (event.case_id, event.article_id, event.score, event.rank) == (
        case.pk, article.pk, 87.5, 1)


def test_solved_counts_once(agent_api, manager_api, tenant) -> None:
    article = _published(tenant)
    case = make_case(tenant)
    path = SOLVED.format(number=f"CS-{case.number}", article_id=article.pk)
    assert conforms(agent_api.post(path), "POST", SOLVED) == {"counted": True}
    assert manager_api.post(path).json() == {"counted": False}
    assert KbEvent.objects.filter(kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE).count() == 1


def test_an_unpublished_article_cannot_be_opened_or_solve_a_case(agent_api, tenant) -> None:
    draft = article_create(tenant=tenant, author=None, title="Draft", body="x", now=NOW)
    archived = article_archive(article=_published(tenant), now=NOW)
    number = f"CS-{make_case(tenant).number}"
    for article in (draft, archived):
        error(agent_api.post(OPENED.format(number=number, article_id=article.pk),
                             {"score": 1, "rank": 1}), 409)
        error(agent_api.post(SOLVED.format(number=number, article_id=article.pk)), 409)
    assert not KbEvent.objects.exists()


def test_bad_input_is_refused(agent_api, tenant) -> None:
    article = _published(tenant)
    path = OPENED.format(number=f"CS-{make_case(tenant).number}", article_id=article.pk)
    for body, field in (({"score": 101, "rank": 1}, "score"), ({"score": -1, "rank": 1}, "score"),
                        ({"score": 1, "rank": 0}, "rank"), ({"score": 1, "rank": 10**9}, "rank"),
                        ({"rank": 1}, "score")):
        error(agent_api.post(path, body), 422, field=field)
    error(agent_api.post(f"/kb/articles/{article.pk}/views", {"visitor": "v" * 65}), 422,
          field="visitor")
    error(agent_api.post(f"/kb/articles/{article.pk}/views", {"visitor": "a\x00b"}), 422,
          field="visitor")
    error(agent_api.get("/cases/CS-999999/suggestions"), 404)
    error(agent_api.post(OPENED.format(number="CS-1", article_id=2**63),
                         {"score": 1, "rank": 1}), 422)
    assert not KbEvent.objects.exists()


def test_views_by_members_and_visitors(agent_api, agent, tenant) -> None:
    article = _published(tenant)
    internal = _published(tenant, "Internal only", visibility="internal")
    path = "/kb/articles/{article_id}/views"
    response = agent_api.post(f"/kb/articles/{internal.pk}/views", {})
    assert conforms(response, "POST", path) == {"recorded": True}
    assert response.status_code == 201
    assert agent_api.post(f"/kb/articles/{article.pk}/views", {"visitor": "sess-1"}
                          ).status_code == 201
    error(agent_api.post(f"/kb/articles/{internal.pk}/views", {"visitor": "sess-1"}), 409)
    views = KbEvent.objects.filter(kind=KbEventKind.VIEW)
    assert sorted(views.values_list("article_id", "user_id", "visitor")) == sorted([
        (internal.pk, agent.user_id, ""), (article.pk, None, "sess-1")])


def test_another_tenants_case_or_article_is_not_found(admin_api, tenant, other_tenant
                                                      ) -> None:
    mine, theirs = _published(tenant), _published(other_tenant, "Globex reset")
    my_case, their_case = make_case(tenant), make_case(other_tenant)
    assert my_case.number == their_case.number
    their_case.delete()
    their_case = make_case(other_tenant)
    number = f"CS-{their_case.number}"
    error(admin_api.get(f"/cases/{number}/suggestions"), 404)
    for template in (OPENED, SOLVED):
        for n, a in ((number, mine.pk), (f"CS-{my_case.number}", theirs.pk)):
            error(admin_api.post(template.format(number=n, article_id=a),
                                 {"score": 1, "rank": 1}), 404)
    error(admin_api.post(f"/kb/articles/{theirs.pk}/views", {}), 404)
    assert not KbEvent.objects.exists()


def test_anonymous_is_refused(anonymous_api, tenant) -> None:
    article = _published(tenant)
    error(anonymous_api.post(f"/kb/articles/{article.pk}/views", {}), 401)
    error(anonymous_api.get("/cases/CS-1/suggestions"), 401)


def test_a_visitor_case_keeps_their_reads_from_deflecting(agent_api, tenant, clock) -> None:
    from datetime import timedelta

    from casedesk.kb.events import DEFLECTION_WINDOW, self_service_deflections_settle

    article = _published(tenant)
    case = make_case(tenant)
    assert agent_api.post(f"/kb/articles/{article.pk}/views",
                          {"visitor": "v-asker"}).status_code == 201
    assert agent_api.post(f"/kb/articles/{article.pk}/views",
                          {"visitor": "v-quiet"}).status_code == 201
    response = agent_api.post("/kb/visitor-cases", {"case": f"CS-{case.number}",
                                                    "visitor": "v-asker"})
    assert conforms(response, "POST", "/kb/visitor-cases") == {"recorded": True}
    assert self_service_deflections_settle(NOW + DEFLECTION_WINDOW + timedelta(seconds=1)) == 1
    assert list(KbEvent.objects.filter(kind=KbEventKind.SELF_SERVICE_DEFLECTION)
                .values_list("visitor", flat=True)) == ["v-quiet"]


def test_a_visitor_case_needs_a_known_case_and_a_key(agent_api, tenant) -> None:
    case = make_case(tenant)
    assert error(agent_api.post("/kb/visitor-cases", {"case": "CS-999", "visitor": "v"}),
                 404)
    assert error(agent_api.post("/kb/visitor-cases", {"case": f"CS-{case.number}",
                                                      "visitor": " "}), 422)
    assert error(agent_api.post("/kb/visitor-cases", {"case": f"CS-{case.number}",
                                                      "visitor": "v\x00"}), 422)
    assert not KbEvent.objects.filter(kind=KbEventKind.VISITOR_CASE).exists()
