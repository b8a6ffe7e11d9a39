"""The same ranking on SQLite and PostgreSQL: the expected order is written once and asserted
on whichever engine the run uses (CASEDESK_TEST_DATABASE_URL); the index's upkeep in the
database (triggers, the rebuild command, the migration's reversal)."""

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from casedesk.kb.index import index_article
from casedesk.kb.models import Article, ArticleStatus
from casedesk.kb.search import match_terms, search_articles
from casedesk.tenancy.models import Tenant
from tests.conftest import is_postgres, postgres_only
from tests.kb.search_corpus import CORPUS, load_corpus

pytestmark = pytest.mark.django_db

# The top of the results, best first, for published articles (internal ones included).
EXPECTED_ORDER = {
    "password reset": ["password-reset", "sso-saml", "change-password"],
    "invoices": ["invoice-download", "invoice-address"],
    "refunds": ["refund-approvals", "refund-policy", "request-refund"],
    "sso": ["sso-errors", "sso-saml"],
    "api token": ["api-tokens", "api-rate-limits", "webhooks"],
    "export": ["export-csv", "export-all"],
    "exporting cases": ["export-csv", "export-all"],
    "sla": ["sla-policies", "business-hours"],
    "credit card": ["payment-method", "refund-policy"],
    "passw": ["change-password", "password-reset", "sso-saml"],
    "billing address": ["invoice-address"],
    "delete account": ["delete-account"],
    "webhook": ["webhooks"],
    "pasword reset": ["password-reset"],
    "invocie": ["invoice-download", "invoice-address"],
}


def slugs_for(tenant: Tenant, q: str, **filters: Any) -> list[str]:
    by_id = dict(Article.objects.filter(tenant=tenant).values_list("pk", "slug"))
    return [by_id[hit.article_id] for hit in search_articles(tenant.pk, q, **filters)]


INVOICES = ["invoice-download", "invoice-address"]


def published(tenant: Tenant, q: str) -> list[str]:
    return slugs_for(tenant, q, statuses={ArticleStatus.PUBLISHED})


def test_the_top_results_come_in_the_expected_order_on_this_engine(tenant: Tenant) -> None:
    load_corpus(tenant)
    for q, expected in EXPECTED_ORDER.items():
        found = slugs_for(tenant, q, statuses={ArticleStatus.PUBLISHED}, limit=10)
        assert found[:len(expected)] == expected, (connection.vendor, q, found)


def test_deleting_an_article_takes_it_out_of_the_index(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    articles["webhooks"].delete()
    assert slugs_for(tenant, "webhook") == []
    with connection.cursor() as cursor:
        cursor.execute(*_index_rows_sql(tenant))
        assert cursor.fetchone()[0] == len(CORPUS) - 1


def test_a_deleted_tenant_leaves_no_index_rows(tenant: Tenant, other_tenant: Tenant) -> None:
    load_corpus(other_tenant)
    Article.objects.filter(tenant=other_tenant).delete()
    with connection.cursor() as cursor:
        cursor.execute(*_index_rows_sql(other_tenant, orphans=True))
        assert cursor.fetchone()[0] == 0


def _index_rows_sql(tenant: Tenant, *, orphans: bool = False) -> tuple[str, list[Any]]:
    """SQL counting the index rows of the tenant's articles (or every row no article has)."""
    if is_postgres():
        if orphans:
            return ("SELECT count(*) FROM kb_article_search s WHERE NOT EXISTS"
                    " (SELECT 1 FROM kb_article a WHERE a.id = s.article_id)", [])
        return "SELECT count(*) FROM kb_article_search WHERE tenant_id = %s", [tenant.pk]
    if orphans:
        return ("SELECT count(*) FROM kb_article_fts f WHERE NOT EXISTS"
                " (SELECT 1 FROM kb_article a WHERE a.id = f.rowid)", [])
    return ("SELECT count(*) FROM kb_article_fts WHERE rowid IN"
            " (SELECT id FROM kb_article WHERE tenant_id = %s)", [tenant.pk])


def test_kb_reindex_rebuilds_a_lost_index(tenant: Tenant, other_tenant: Tenant) -> None:
    load_corpus(tenant)
    load_corpus(other_tenant)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kb_article_search" if is_postgres()
                       else "DELETE FROM kb_article_fts")
    assert slugs_for(tenant, "invoices") == []

    out = StringIO()
    call_command("kb_reindex", "--tenant", tenant.slug, stdout=out)
    assert out.getvalue().strip() == f"Indexed {len(CORPUS)} articles of {tenant.slug}."
    assert published(tenant, "invoices")[:2] == INVOICES
    assert slugs_for(other_tenant, "invoices") == []

    out = StringIO()
    call_command("kb_reindex", stdout=out)
    assert f"Indexed {2 * len(CORPUS)} articles of" in out.getvalue()
    assert published(other_tenant, "invoices")[:2] == INVOICES


def test_kb_reindex_refuses_an_unknown_tenant(db: Any) -> None:
    with pytest.raises(CommandError, match="No tenant with the slug 'nope'"):
        call_command("kb_reindex", "--tenant", "nope")


def test_reindexing_twice_keeps_one_row_per_article(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    index_article(articles["webhooks"])
    with connection.cursor() as cursor:
        cursor.execute(*_index_rows_sql(tenant))
        assert cursor.fetchone()[0] == len(CORPUS)


@postgres_only
def test_postgres_weights_title_tags_summary_and_body(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT config::text, document::text FROM kb_article_search"
                       " WHERE article_id = %s", [articles["password-reset"].pk])
        config, document = cursor.fetchone()
    assert config == "english"
    assert re.search(r"'password':1A\b", document)  # the title, weight A
    assert re.search(r"'login':\d+B\b", document)  # a tag, weight B
    assert re.search(r"'expir':\d+ ", document) or document.endswith(
        "'expir'")  # the body, stemmed, weight D (shown without a letter)


@postgres_only
def test_postgres_has_the_trigram_index_on_titles(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                       ["kb_article_search_title_trgm"])
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_empties_the_index(tenant: Tenant) -> None:
    """`flush` (after a transactional test, `casedesk flush`) truncates the model tables; the
    index goes with them instead of blocking the TRUNCATE or keeping rows of gone articles."""
    load_corpus(tenant)
    call_command("flush", "--no-input", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kb_article_search" if is_postgres()
                       else "SELECT count(*) FROM kb_article_fts")
        assert cursor.fetchone()[0] == 0


@postgres_only
def test_postgres_searches_with_constant_tsqueries_through_the_gin_index(
        tenant: Tenant) -> None:
    """Every search step gives PostgreSQL its tsqueries as constants (never parsed again for
    each row), for the tenant's one configuration only (no branch per language it does not
    use), in a shape the GIN index can answer: with sequential scans off and the tenant's
    index gone (inside this test's transaction), each step's plan reads the GIN index. Which
    way in the planner picks on its own depends on the table's size and statistics: at
    50,000 articles (bench/kb.py records its plans) the GIN index for every step."""
    load_corpus(tenant)
    captured: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "kb_article_search s" in sql and "word_similarity" not in sql:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        search_articles(tenant.pk, "how do I reset my pasword", limit=50)
        match_terms(tenant.pk, {"password": 2.0, "reset": 1.0, "invoice": 1.0, "sso": 1.0,
                                "login": 1.0, "page": 1.0}, statuses={"published"})
    assert len(captured) >= 3
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP INDEX kb_article_search_tenant")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in captured:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Bitmap Index Scan on kb_article_search_document" in plan, plan
            assert "Seq Scan on kb_article_search" not in plan, plan
            assert "to_tsquery" not in plan, plan  # constants, not parsed for each row
            assert plan.count("(config)::oid =") == plan.count("(config)::oid = '13"), plan
        transaction.set_rollback(True)
