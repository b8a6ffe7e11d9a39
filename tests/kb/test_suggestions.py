"""Suggested articles for a case: the matching article first, the case's category lifting
its articles, only the tenant's published articles, scores on 0–100."""

import pytest

from casedesk.cases.models import Case, Note
from casedesk.kb.models import Article
from casedesk.kb.services import article_archive, article_create, article_publish, category_create
from casedesk.kb.suggestions import CATEGORY_BOOST, query_text, suggest_for_case
from tests.conftest import NOW
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _published(tenant, title, body, *, category=None, visibility="internal") -> Article:
    article = article_create(tenant=tenant, author=None, title=title, body=body,
                             category_id=category.pk if category else None,
                             visibility=visibility, now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def _categorised(case: Case, category: str, subcategory: str = "") -> Case:
    Case.objects.filter(pk=case.pk).update(category=category, subcategory=subcategory)
    case.refresh_from_db()
    return case


@pytest.fixture
def corpus(tenant):
    return {
        "password": _published(tenant, "Reset your password",
                               "Open the login page, choose *Forgot password* and follow the "
                               "mail to reset your password.", visibility="public"),
        "invoice": _published(tenant, "Download an invoice copy",
                              "Billing › Invoices lists every invoice as a PDF."),
        "vpn": _published(tenant, "Connect to the VPN",
                          "Install the client and sign in with your account."),
    }


def test_a_password_reset_case_gets_the_password_article_first(tenant, corpus) -> None:
    case = make_case(tenant, subject="Password reset does not work",
                     description="I asked for a password reset yesterday but nothing came.")
    suggestions = suggest_for_case(case)
    assert suggestions[0].article == corpus["password"]
    assert suggestions[0].score == 100 and suggestions[0].rank == 1
    assert [s.rank for s in suggestions] == list(range(1, len(suggestions) + 1))
    assert all(0 <= s.score <= 100 for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions),
                                                    reverse=True)


def test_the_latest_customer_message_counts(tenant, corpus) -> None:
    case = make_case(tenant, subject="Question", description="")
    Note.objects.create(tenant=tenant, case=case, author=None, is_public=True,
                        body="Where do I find my invoice?", author_email="c@x.test",
                        created_at=NOW)
    Note.objects.create(tenant=tenant, case=case, author=None, is_public=False,
                        body="internal: vpn vpn vpn", created_at=NOW)
    assert suggest_for_case(case)[0].article == corpus["invoice"]


def test_the_query_keeps_the_telling_words_once(tenant) -> None:
    case = make_case(tenant, subject="Hello, I cannot reset my password",
                     description="Password reset please " + "x" * 5000)
    assert query_text(case, "").split()[:2] == ["reset", "password"]
    assert query_text(case, "").split().count("password") == 1


def test_the_case_category_lifts_its_articles(tenant) -> None:
    billing = category_create(tenant=tenant, name="Billing", now=NOW)
    accounts = category_create(tenant=tenant, name="Accounts", now=NOW)
    leaf = category_create(tenant=tenant, name="Refunds", parent_id=billing.pk, now=NOW)
    in_accounts = _published(tenant, "Plan changes", "How plan changes work.",
                             category=accounts)
    in_billing = _published(tenant, "Plan changes explained", "How plan changes work.",
                            category=leaf)
    case = make_case(tenant, subject="Plan changes")
    plain = suggest_for_case(case)
    assert [s.article for s in plain] == [in_accounts, in_billing]
    # The subcategory's parent is named like the case's category (any case of letters).
    boosted = suggest_for_case(_categorised(case, "billing"))
    assert [s.article for s in boosted] == [in_billing, in_accounts], (plain, CATEGORY_BOOST)
    assert boosted[0].score == 100


def test_drafts_archived_and_other_tenants_articles_are_never_suggested(
        tenant, other_tenant, corpus) -> None:
    article_create(tenant=tenant, author=None, title="Password reset (draft)",
                   body="password reset password reset", now=NOW)
    article_archive(article=_published(tenant, "Old password reset", "password reset"),
                    now=NOW)
    _published(other_tenant, "Globex password reset", "password reset password reset",
               visibility="public")
    case = make_case(tenant, subject="Password reset")
    suggested = [s.article for s in suggest_for_case(case, limit=20)]
    assert suggested == [corpus["password"]]


def test_nothing_to_suggest(tenant) -> None:
    assert suggest_for_case(make_case(tenant, subject="Password reset")) == []
