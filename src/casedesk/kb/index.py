"""The search index of the articles, one table per engine (migration 0002): SQLite's FTS5
table `kb_article_fts` (rowid = article id, porter stemming) or PostgreSQL's
`kb_article_search` (a weighted `tsvector` in the article's language: title A, tags and
summary B, body D). The services write it through `index_article` in the article's own
transaction; `reindex_articles` rebuilds it (`casedesk kb_reindex`, after restoring a
database). `kb.search` reads it."""

from django.db import connection, transaction

from casedesk.kb import vocabulary as vocabularies
from casedesk.kb.models import Article

# The PostgreSQL text search configuration for an article's language (its primary subtag).
LANGUAGE_CONFIGS = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "nl": "dutch",
    "it": "italian", "pt": "portuguese",
}
MAX_INDEXED_BODY_CHARS = 100_000  # the rest of a very long body adds cost, not findability


def language_config(language: str) -> str:
    """The text search configuration for a language tag ("en", "de-CH"); `simple` (no
    stemming, no stop words) for the languages PostgreSQL does not stem here."""
    primary = language.split("-")[0].split("_")[0].strip().lower()
    return LANGUAGE_CONFIGS.get(primary, "simple")


def index_article(article: Article) -> None:
    """Brings the search index up to date with `article` (in the caller's transaction)."""
    body = article.body[:MAX_INDEXED_BODY_CHARS]
    tags = " ".join(str(tag) for tag in (article.tags or []))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_UPSERT, {
                "id": article.pk, "tenant": article.tenant_id,
                "config": language_config(article.language), "title": article.title,
                "summary": article.summary, "body": body, "tags": tags})
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM kb_article_fts WHERE rowid = %s", [article.pk])
            cursor.execute(
                "INSERT INTO kb_article_fts (rowid, title, summary, body, tags)"
                " VALUES (%s, %s, %s, %s, %s)",
                [article.pk, article.title, article.summary, body, tags])
    vocabularies.forget(article.tenant_id)


_PG_UPSERT = """
INSERT INTO kb_article_search (article_id, tenant_id, config, title, document)
VALUES (%(id)s, %(tenant)s, %(config)s::regconfig, %(title)s,
        setweight(to_tsvector(%(config)s::regconfig, %(title)s), 'A')
        || setweight(to_tsvector(%(config)s::regconfig, %(tags)s), 'B')
        || setweight(to_tsvector(%(config)s::regconfig, %(summary)s), 'B')
        || setweight(to_tsvector(%(config)s::regconfig, %(body)s), 'D'))
ON CONFLICT (article_id) DO UPDATE SET
    tenant_id = EXCLUDED.tenant_id, config = EXCLUDED.config, title = EXCLUDED.title,
    document = EXCLUDED.document
"""


def unindex_article(article_id: int) -> None:
    """Takes the article out of the search index (deleting the article does it as well)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM kb_article_search WHERE article_id = %s", [article_id])
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM kb_article_fts WHERE rowid = %s", [article_id])


def reindex_articles(tenant_id: int | None = None) -> int:
    """Rebuilds the index of one tenant's articles (or everyone's) from the articles, in one
    transaction and set-based (one statement, as `index_article` would write each row);
    returns how many articles it indexed."""
    scope = "" if tenant_id is None else " WHERE a.tenant_id = %(tenant)s"
    params = {"tenant": tenant_id, "chars": MAX_INDEXED_BODY_CHARS}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if tenant_id is None:
                cursor.execute("DELETE FROM kb_article_search")
            else:
                cursor.execute("DELETE FROM kb_article_search WHERE tenant_id = %s",
                               [tenant_id])
            cursor.execute(_PG_REINDEX + scope, params)
        elif connection.vendor == "sqlite":
            if tenant_id is None:
                cursor.execute("DELETE FROM kb_article_fts")
            else:
                cursor.execute("DELETE FROM kb_article_fts WHERE rowid IN"
                               " (SELECT id FROM kb_article WHERE tenant_id = %s)", [tenant_id])
            cursor.execute(_SQLITE_REINDEX + scope, params)
        else:
            return 0
        count = int(cursor.rowcount)
    vocabularies.forget(tenant_id)
    return count


def _config_sql(language: str) -> str:
    """SQL giving `language_config` of the column `language`, for the set-based rebuild."""
    primary = f"lower(btrim(split_part(split_part({language}, '-', 1), '_', 1)))"
    cases = " ".join(f"WHEN '{code}' THEN '{config}'"
                     for code, config in LANGUAGE_CONFIGS.items())
    return f"(CASE {primary} {cases} ELSE 'simple' END)::regconfig"


_PG_REINDEX = f"""
INSERT INTO kb_article_search (article_id, tenant_id, config, title, document)
SELECT a.id, a.tenant_id, c.config, a.title,
       setweight(to_tsvector(c.config, a.title), 'A')
       || setweight(to_tsvector(c.config, t.tags), 'B')
       || setweight(to_tsvector(c.config, a.summary), 'B')
       || setweight(to_tsvector(c.config, left(a.body, %(chars)s)), 'D')
FROM kb_article a
CROSS JOIN LATERAL (SELECT {_config_sql("a.language")} AS config) c
CROSS JOIN LATERAL (
    SELECT coalesce(string_agg(tag, ' '), '') AS tags
    FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(a.tags) = 'array' THEN a.tags ELSE '[]'::jsonb END) AS tag
) t"""

_SQLITE_REINDEX = """
INSERT INTO kb_article_fts (rowid, title, summary, body, tags)
SELECT a.id, a.title, a.summary, substr(a.body, 1, %(chars)s),
       coalesce((SELECT group_concat(j.value, ' ') FROM json_each(a.tags) AS j
                 WHERE json_type(a.tags) = 'array'), '')
FROM kb_article a"""
