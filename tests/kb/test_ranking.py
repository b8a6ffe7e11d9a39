"""The ranking check of issue 13: 200 articles, 50 cases as customers write them, each with the
one article that answers it; at least 45 of the 50 must have it in their top three
suggestions, on whichever engine the run uses (SQLite, or PostgreSQL with
CASEDESK_TEST_DATABASE_URL). The misses are printed (`pytest -s`) and named on failure."""

import pytest
from django.db import connection

from casedesk.kb import search
from casedesk.kb.models import ArticleStatus
from casedesk.kb.suggestions import suggest_for_case
from casedesk.tenancy.models import Tenant
from tests.kb.ranking_corpus import ARTICLES, CASES, load_articles, make_cases

pytestmark = pytest.mark.django_db

REQUIRED = 45
TOP = 3


def test_the_corpus_is_the_one_the_issue_asks_for() -> None:
    assert len(ARTICLES) == 200
    assert len({doc.key for doc in ARTICLES}) == 200
    assert len(CASES) == 50
    published = {doc.key for doc in ARTICLES if doc.status == ArticleStatus.PUBLISHED}
    assert all(case.expected in published for case in CASES)


def _score(tenant: Tenant) -> tuple[int, list[str]]:
    """How many cases have their article in the top three, and the misses."""
    articles = load_articles(tenant)
    by_id = {article.pk: key for key, article in articles.items()}
    misses = []
    for case, doc in make_cases(tenant):
        suggested = [by_id[s.article.pk] for s in suggest_for_case(case, limit=5)]
        if doc.expected not in suggested[:TOP]:
            misses.append(f"{case.subject!r}: expected {doc.expected}, got {suggested}")
    return len(CASES) - len(misses), misses


def test_the_expected_article_is_in_the_top_three_for_45_of_50_cases(tenant: Tenant) -> None:
    right, misses = _score(tenant)
    print(f"\nranking on {connection.vendor}: {right}/{len(CASES)} in the top {TOP}")
    for miss in misses:
        print("  miss:", miss)
    assert right >= REQUIRED, misses


@pytest.mark.parametrize(("budget", "candidates"), [(10, 40), (30, 80)])
def test_the_ranking_holds_when_the_candidate_budget_binds(
        tenant: Tenant, monkeypatch: pytest.MonkeyPatch, budget: int, candidates: int) -> None:
    """At 50,000 articles common words are not candidates alone and few rows are ranked
    (search.CANDIDATE_BUDGET, MAX_CANDIDATES); shrunk to this corpus's scale, the tiers of
    candidates must still find the right articles."""
    monkeypatch.setattr(search, "CANDIDATE_BUDGET", budget)
    monkeypatch.setattr(search, "MAX_CANDIDATES", candidates)
    monkeypatch.setattr(search, "SQLITE_MAX_CANDIDATES", candidates)
    right, misses = _score(tenant)
    assert right >= REQUIRED, misses


def test_drafts_and_archived_articles_are_never_suggested(tenant: Tenant) -> None:
    articles = load_articles(tenant)
    hidden = {articles[doc.key].pk for doc in ARTICLES
              if doc.status != ArticleStatus.PUBLISHED}
    assert len(hidden) == 7
    for case, _doc in make_cases(tenant):
        suggestions = suggest_for_case(case, limit=20)
        assert not hidden & {s.article.pk for s in suggestions}, case.subject
        assert all(s.article.tenant_id == tenant.pk for s in suggestions)
