"""The "Suggested articles" panel of the case page: the suggestions with their scores (recorded
as shown), a refresh that changes nothing answers 204, opening an article counts once per
case, "solved it" counts once, and the article's link or text for a public reply."""

import re

import pytest

from casedesk.cases.services import case_update
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_archive, article_create, article_publish
from tests.conftest import NOW, login
from tests.factories import make_case

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _published(tenant, title, body, *, visibility="public", summary=""):
    article = article_create(tenant=tenant, author=None, title=title, body=body,
                             visibility=visibility, summary=summary, now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


@pytest.fixture
def articles(tenant):
    return {
        "password": _published(tenant, "Reset your password",
                               "Choose **Forgot password** on the sign-in page.",
                               summary="When the sign-in page refuses your password."),
        "vpn": _published(tenant, "Connect to the VPN", "Install the VPN client first.",
                          visibility="internal"),
        "invoice": _published(tenant, "Download an invoice",
                              "Invoices are under Billing › Invoices as PDF."),
    }


def _panel_url(case):
    return f"/kb/cases/CS-{case.number}/suggestions"


def test_the_case_page_loads_the_panel(agent, tenant) -> None:
    case = make_case(tenant, subject="Cannot reset my password")
    page = login(agent).get(f"/cases/CS-{case.number}")
    assert page.status_code == 200
    assert f'hx-get="{_panel_url(case)}"' in page.content.decode()
    assert "Suggested articles" in page.content.decode()


def test_panel_shows_the_best_matches_with_scores_and_records_them(agent, tenant,
                                                                    articles) -> None:
    case = make_case(tenant, subject="Password reset link never arrives")
    response = login(agent).get(_panel_url(case), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reset your password" in html and "Connect to the VPN" not in html
    assert re.search(r'data-testid="kb-score"[^>]*>100<', html)
    shown = KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_SHOWN, case=case)
    assert list(shown.values_list("article_id", "rank", "user_id")) == [
        (articles["password"].pk, 1, agent.user_id)]


def test_refresh_with_the_same_basis_is_a_204_and_records_nothing(agent, tenant,
                                                                   articles) -> None:
    case = make_case(tenant, subject="Password reset link never arrives")
    client = login(agent)
    first = client.get(_panel_url(case), **HX).content.decode()
    basis = re.search(r'data-basis="([0-9a-f]+)"', first).group(1)
    again = client.get(_panel_url(case), {"basis": basis}, **HX)
    assert again.status_code == 204
    assert KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_SHOWN).count() == 1
    # The case now says something else: the panel searches again.
    case_update(case=case, actor=agent.user, changes={"subject": "Where is my invoice?"},
                now=NOW)
    changed = client.get(_panel_url(case), {"basis": basis}, **HX)
    assert changed.status_code == 200
    assert "Download an invoice" in changed.content.decode()


def test_case_changes_tell_the_panel_to_look_again(agent, tenant) -> None:
    case = make_case(tenant, subject="Cannot sign in", owner_id=agent.user_id)
    response = login(agent).post(f"/cases/CS-{case.number}/fields/subject",
                                 {"value": "Invoice missing"}, **HX)
    assert response.status_code == 200
    assert response["HX-Trigger-After-Settle"] == "casedesk:case-changed"


def test_opening_counts_once_and_shows_the_article(agent, agent2, tenant, articles) -> None:
    case = make_case(tenant, subject="Password reset")
    article = articles["password"]
    url = f"/kb/cases/CS-{case.number}/suggestions/{article.pk}/open"
    response = login(agent).post(url, {"score": "100", "rank": "1"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Forgot password</strong>" in html
    assert f"http://testserver/portal/{tenant.slug}/kb/{article.slug}" in html
    login(agent).post(url, {"score": "100", "rank": "1"}, **HX)
    login(agent2).post(url, {"score": "80", "rank": "2"}, **HX)
    opened = KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_OPENED, case=case)
    assert list(opened.values_list("user_id", "score", "rank")) == [(agent.user_id, 100, 1)]


def test_an_internal_article_offers_its_text_but_no_public_link(agent, tenant,
                                                                 articles) -> None:
    case = make_case(tenant, subject="VPN")
    url = f"/kb/cases/CS-{case.number}/suggestions/{articles['vpn'].pk}/open"
    html = login(agent).post(url, {"score": "100", "rank": "1"}, **HX).content.decode()
    assert 'data-kb-insert="text"' in html and 'data-kb-insert="link"' not in html
    assert "/portal/" not in html


def test_opening_without_javascript_goes_to_the_article_page(agent, tenant, articles) -> None:
    case = make_case(tenant, subject="Password")
    article = articles["password"]
    response = login(agent).post(f"/kb/cases/CS-{case.number}/suggestions/{article.pk}/open",
                                 {"score": "90", "rank": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/kb/articles/{article.pk}"
    assert KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_OPENED).count() == 1


def test_solved_counts_once_and_says_so(agent, manager, tenant, articles) -> None:
    case = make_case(tenant, subject="Password")
    article = articles["password"]
    url = f"/kb/cases/CS-{case.number}/suggestions/{article.pk}/solved"
    first = login(agent).post(url, **HX).content.decode()
    assert "solved this case" in first and 'data-testid="kb-solved"' not in first
    second = login(manager).post(url, **HX).content.decode()
    assert "already noted" in second
    assert KbEvent.objects.filter(kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE,
                                  case=case).count() == 1
    panel = login(agent).get(_panel_url(case), **HX).content.decode()
    assert 'data-testid="kb-solved-mark"' in panel


def test_solved_without_javascript_returns_to_the_case(agent, tenant, articles) -> None:
    case = make_case(tenant, subject="Password")
    article = articles["password"]
    response = login(agent).post(
        f"/kb/cases/CS-{case.number}/suggestions/{article.pk}/solved", follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/CS-{case.number}"
    assert "solved this case" in response.content.decode()


def test_an_archived_article_is_refused_in_place(agent, tenant, articles) -> None:
    case = make_case(tenant, subject="Invoice")
    article = article_archive(article=articles["invoice"], now=NOW)
    url = f"/kb/cases/CS-{case.number}/suggestions/{article.pk}/solved"
    response = login(agent).post(url, **HX)
    assert response.status_code == 409
    assert response["X-Case-Partial"] == "1"
    assert "not published" in response.content.decode()
    assert not KbEvent.objects.filter(kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE).exists()


def test_bad_score_or_rank_is_a_clear_refusal(agent, tenant, articles) -> None:
    case = make_case(tenant, subject="Password")
    url = f"/kb/cases/CS-{case.number}/suggestions/{articles['password'].pk}/open"
    for data in ({}, {"score": "abc", "rank": "1"}, {"score": "500", "rank": "1"},
                 {"score": "nan", "rank": "1"}, {"score": "10", "rank": "0"}):
        response = login(agent).post(url, data, **HX)
        assert response.status_code in (409, 422), data
    assert not KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_OPENED).exists()


def test_another_tenants_case_or_article_is_a_404(agent, tenant, other_tenant,
                                                  articles) -> None:
    case = make_case(tenant, subject="Password")
    foreign = _published(other_tenant, "Reset your password", "Elsewhere.")
    make_case(other_tenant, subject="First")
    foreign_case = make_case(other_tenant, subject="Password")  # CS-2: ours stop at CS-1
    client = login(agent)
    assert client.get(f"/kb/cases/CS-{foreign_case.number}/suggestions").status_code == 404
    url = f"/kb/cases/CS-{case.number}/suggestions/{foreign.pk}/open"
    assert client.post(url, {"score": "1", "rank": "1"}).status_code == 404
    assert not KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_OPENED).exists()


def test_no_match_says_so(agent, tenant) -> None:
    case = make_case(tenant, subject="Zebra crossing")
    html = login(agent).get(_panel_url(case), **HX).content.decode()
    assert 'data-testid="kb-none"' in html
