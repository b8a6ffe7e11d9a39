"""Searching the knowledge base: ranking, stemming, typos, tenant and visibility isolation,
and hostile queries (on the engine the run uses; tests/kb/test_search_engines.py compares
the engines' order)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from casedesk.kb.index import (
    MAX_INDEXED_BODY_CHARS,
    index_article,
    language_config,
    reindex_articles,
    unindex_article,
)
from casedesk.kb.models import Article, ArticleStatus, KbCategory, Visibility
from casedesk.kb.search import (
    MAX_LIMIT,
    match_terms,
    query_words,
    search_articles,
)
from casedesk.tenancy.models import Tenant
from tests.kb.search_corpus import CORPUS, Doc, add_article, load_corpus

pytestmark = pytest.mark.django_db

PUBLISHED = {ArticleStatus.PUBLISHED}


def slugs_for(tenant: Tenant, q: str, **filters: Any) -> list[str]:
    by_id = dict(Article.objects.filter(tenant=tenant).values_list("pk", "slug"))
    return [by_id[hit.article_id] for hit in search_articles(tenant.pk, q, **filters)]


def test_a_title_match_ranks_above_body_only_matches(tenant: Tenant) -> None:
    load_corpus(tenant)
    found = slugs_for(tenant, "password reset")
    assert found[0] == "password-reset"
    # SSO mentions a password reset in its body only.
    assert found.index("sso-saml") > found.index("password-reset")
    assert slugs_for(tenant, "webhook")[0] == "webhooks"


def test_scores_are_higher_for_better_matches(tenant: Tenant) -> None:
    load_corpus(tenant)
    hits = search_articles(tenant.pk, "password reset")
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1] > 0


@pytest.mark.parametrize(("q", "expected"), [
    ("invoices", "invoice-download"),
    ("invoice", "invoice-download"),
    ("refunds", "refund-policy"),
    ("resetting", "password-reset"),
    ("exported", "export-csv"),
    ("cancelled subscriptions", "cancel-subscription"),
])
def test_plurals_and_other_forms_find_the_article(tenant: Tenant, q: str, expected: str) -> None:
    load_corpus(tenant)
    assert expected in slugs_for(tenant, q, statuses=PUBLISHED)[:3]


@pytest.mark.parametrize(("q", "expected"), [
    ("pasword", "password-reset"),
    ("pasword reset", "password-reset"),
    ("invocie", "invoice-download"),
    ("webhoks", "webhooks"),
    ("refnd policy", "refund-policy"),
])
def test_typos_still_find_the_article(tenant: Tenant, q: str, expected: str) -> None:
    load_corpus(tenant)
    assert expected in slugs_for(tenant, q, statuses=PUBLISHED)[:2]


def test_the_last_word_matches_as_a_prefix(tenant: Tenant) -> None:
    load_corpus(tenant)
    assert "password-reset" in slugs_for(tenant, "passw")
    assert slugs_for(tenant, "webh") == ["webhooks"]


def test_a_question_in_plain_words_finds_the_article(tenant: Tenant) -> None:
    load_corpus(tenant)
    assert slugs_for(tenant, "How do I reset my password?")[0] == "password-reset"


def test_another_tenants_articles_are_never_found(tenant: Tenant, other_tenant: Tenant) -> None:
    load_corpus(tenant)
    theirs = add_article(other_tenant, Doc("globex-secret", "Globex invoice password vault",
                                           "Internal", "invoice password reset refund"))
    for q in ("invoice", "password reset", "globex", "vault", "globx vaultt"):
        ids = {hit.article_id for hit in search_articles(tenant.pk, q)}
        assert theirs.pk not in ids
        assert Article.objects.filter(pk__in=ids).exclude(tenant=tenant).count() == 0
    assert [hit.article_id for hit in search_articles(other_tenant.pk, "vault")] == [theirs.pk]


def test_visibility_and_status_filters(tenant: Tenant) -> None:
    load_corpus(tenant)
    assert "refund-approvals" in slugs_for(tenant, "refund")
    public = slugs_for(tenant, "refund", visibility={Visibility.PUBLIC}, statuses=PUBLISHED)
    assert "refund-approvals" not in public and "refund-policy" in public
    assert slugs_for(tenant, "refund", visibility={Visibility.INTERNAL}) == ["refund-approvals"]

    assert "new-invoice-layout" in slugs_for(tenant, "invoice layout")
    assert "new-invoice-layout" not in slugs_for(tenant, "invoice layout", statuses=PUBLISHED)
    assert slugs_for(tenant, "password rules", statuses={ArticleStatus.ARCHIVED}) == [
        "old-password-rules"]
    assert "old-password-rules" not in slugs_for(tenant, "password", statuses=PUBLISHED)
    assert slugs_for(tenant, "refund", visibility=set()) == []


def test_category_filter(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    billing = KbCategory.objects.create(tenant=tenant, name="Billing", slug="billing",
                                        created_at=datetime(2026, 11, 20, tzinfo=UTC))
    Article.objects.filter(pk=articles["refund-policy"].pk).update(category=billing)
    assert slugs_for(tenant, "refund", category_ids={billing.pk}) == ["refund-policy"]
    assert slugs_for(tenant, "refund", category_ids=set()) == []


def test_limit_is_bounded(tenant: Tenant) -> None:
    load_corpus(tenant)
    assert len(search_articles(tenant.pk, "invoice", limit=0)) == 1
    assert len(search_articles(tenant.pk, "billing settings cases", limit=2)) == 2
    assert len(search_articles(tenant.pk, "billing settings cases", limit=10_000)) <= MAX_LIMIT


@pytest.mark.parametrize("q", [
    '"', '""', "'", "NEAR(", "NEAR(password reset, 2)", "*", "-", "- -password", "^title",
    "password AND", "OR", "title:password", "(", ")", "{password}", "\x00", "pass\x00word",
    "a" * 10_000, "password " * 2_000, "!!!", ":*", "&|!", "<->", "\\", "%", "_", "' OR 1=1 --",
    "ünïcödé ßtraße", "密码重置", "🔑 password", "", "   ",
])
def test_hostile_queries_never_raise(tenant: Tenant, q: str) -> None:
    load_corpus(tenant)
    hits = search_articles(tenant.pk, q)
    assert all(isinstance(hit.score, float) for hit in hits)


def test_hostile_text_quoted_still_finds_its_words(tenant: Tenant) -> None:
    load_corpus(tenant)
    assert slugs_for(tenant, '"password" NEAR( reset*')[0] == "password-reset"
    assert slugs_for(tenant, "pass\x00word reset")[0] == "password-reset"


def test_reindexing_an_edited_article_finds_the_new_text(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    article = articles["mobile-app"]
    article.title = "Working from a tablet"
    article.save()
    index_article(article)
    assert slugs_for(tenant, "tablet") == ["mobile-app"]
    assert "mobile-app" not in slugs_for(tenant, "using")
    unindex_article(article.pk)
    assert slugs_for(tenant, "tablet") == []


def test_query_words_keep_letters_and_digits_only() -> None:
    assert query_words('Reset "my" pass-word*, NEAR(2fa)\x00!') == [
        "reset", "my", "pass", "word", "near", "2fa"]
    assert len(query_words("word " * 1000)) == 16
    assert query_words("   ") == []


@pytest.mark.parametrize(("language", "config"), [
    ("en", "english"), ("en-GB", "english"), ("de", "german"), ("DE_ch", "german"),
    ("fr", "french"), ("es", "spanish"), ("nl", "dutch"), ("it", "italian"),
    ("pt-BR", "portuguese"), ("fi", "simple"), ("", "simple"),
])
def test_language_config(language: str, config: str) -> None:
    assert language_config(language) == config


def test_an_article_in_german_is_found_by_its_words(tenant: Tenant) -> None:
    add_article(tenant, Doc("rechnung", "Rechnungen herunterladen", "Alle Rechnungen als PDF",
                            "Unter Abrechnung finden Sie jede Rechnung.", language="de"))
    assert slugs_for(tenant, "Rechnungen") == ["rechnung"]
    assert slugs_for(tenant, "herunterladen") == ["rechnung"]


def _index_rows(tenant: Tenant) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT article_id, config::text, title, document::text"
                           " FROM kb_article_search WHERE tenant_id = %s ORDER BY article_id",
                           [tenant.pk])
        else:
            cursor.execute("SELECT rowid, title, summary, body, tags FROM kb_article_fts"
                           " WHERE rowid IN (SELECT id FROM kb_article WHERE tenant_id = %s)"
                           " ORDER BY rowid", [tenant.pk])
        return list(cursor.fetchall())


def test_the_set_based_rebuild_writes_what_each_article_would(tenant: Tenant) -> None:
    load_corpus(tenant)
    add_article(tenant, Doc("rechnung", "Rechnungen", "PDF", "Jede Rechnung.", ["rechnung"],
                            language="de-CH"))
    add_article(tenant, Doc("long", "A long one", "", "word " * (MAX_INDEXED_BODY_CHARS // 4)))
    add_article(tenant, Doc("no-tags", "Untagged", "", "Nothing to tag.", language="fi"))
    by_article = _index_rows(tenant)
    assert reindex_articles(tenant.pk) == len(by_article) == len(CORPUS) + 3
    assert _index_rows(tenant) == by_article


def test_match_terms_ranks_by_the_weight_of_each_word(tenant: Tenant) -> None:
    load_corpus(tenant)
    by_id = dict(Article.objects.filter(tenant=tenant).values_list("pk", "slug"))

    def slugs(terms: dict[str, float]) -> list[str]:
        return [by_id[hit.article_id] for hit in match_terms(tenant.pk, terms, statuses=PUBLISHED)]

    assert slugs({"webhook": 3.0, "invoice": 1.0})[0] == "webhooks"
    assert slugs({"webhook": 1.0, "invoice": 3.0})[0] == "invoice-download"
    hits = match_terms(tenant.pk, {"refund": 1.0, "card": 1.0}, statuses=PUBLISHED)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_match_terms_corrects_typos_and_ignores_what_no_article_says(tenant: Tenant) -> None:
    load_corpus(tenant)
    by_id = dict(Article.objects.filter(tenant=tenant).values_list("pk", "slug"))
    hits = match_terms(tenant.pk, {"pasword": 2.0, "zanzibar": 5.0, "reset": 1.0})
    assert by_id[hits[0].article_id] == "password-reset"
    assert match_terms(tenant.pk, {"zanzibar": 1.0}) == []
    assert match_terms(tenant.pk, {}) == []
    assert match_terms(tenant.pk, {"password": 1.0}, statuses=set()) == []


@pytest.mark.parametrize("word", ['"', "a b", "pass\x00word", "NEAR(", "-", "' OR 1=1", "*",
                                  "x" * 500, "密码"])
def test_match_terms_never_raises_on_odd_words(tenant: Tenant, word: str) -> None:
    load_corpus(tenant)
    hits = match_terms(tenant.pk, {word: 1.0, "invoice": 1.0})
    assert hits and all(isinstance(hit.score, float) for hit in hits)


def test_match_terms_keeps_to_the_tenant_and_the_statuses(tenant: Tenant,
                                                          other_tenant: Tenant) -> None:
    load_corpus(tenant)
    theirs = add_article(other_tenant, Doc("globex", "Globex invoice vault", "", "invoice"))
    ids = {hit.article_id for hit in match_terms(tenant.pk, {"invoice": 1.0, "vault": 1.0})}
    assert theirs.pk not in ids and ids
    draft = Article.objects.get(tenant=tenant, slug="new-invoice-layout")
    assert draft.pk in {hit.article_id for hit in match_terms(tenant.pk, {"layout": 1.0})}
    assert draft.pk not in {hit.article_id for hit in match_terms(
        tenant.pk, {"layout": 1.0, "invoice": 1.0}, statuses=PUBLISHED)}


def test_common_words_past_the_cap_read_the_title_matches_first(
        tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a word matches more articles than are ranked (search.MAX_CANDIDATES; at 50,000
    articles a word such as "invoice"), the ones with it in the title, summary or tags are
    ranked, not whichever the engine reads first."""
    load_corpus(tenant)
    for name in ("MAX_CANDIDATES", "SQLITE_MAX_CANDIDATES"):
        monkeypatch.setattr(f"casedesk.kb.search.{name}", 3)
    found = slugs_for(tenant, "invoice", statuses=PUBLISHED)
    assert found[:2] == ["invoice-download", "invoice-address"], found
    assert slugs_for(tenant, "billing")[0] in {"invoice-address", "invoice-download",
                                                "refund-policy", "request-refund"}
