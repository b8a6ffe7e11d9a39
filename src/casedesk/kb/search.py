"""Full-text search over a tenant's articles: title, summary, body (the Markdown source) and
tags, ranked best first with the title weighted highest.

The index lives in a table per engine (migration 0002): SQLite's FTS5 table `kb_article_fts`
(rowid = article id, porter stemming, ranked by `bm25`) or PostgreSQL's `kb_article_search`
(a weighted `tsvector` in the article's language, ranked by `ts_rank_cd`). The services write
it through `index_article` in the article's own transaction; `reindex_articles` rebuilds it
(`casedesk kb_reindex`, after restoring a database).

A search runs in steps, each adding what it finds below what the earlier ones found, until
`limit` articles are found:
1. every word of the query (the last one also as a prefix: "passw" finds "password");
2. PostgreSQL with pg_trgm: titles similar to the query (typos: "pasword reset");
3. each word corrected to the closest word of the tenant's titles and tags (difflib, ratio at
   least 0.8: "invocie" → "invoice"), then every corrected word;
4. any of the words (a question in plain words: "how do I reset my password").

The query is only ever the user's words (letters and digits), each quoted, so no input reaches
the engines' query syntax: quotes, operators, NUL bytes and overlong text are words or nothing.
"""

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, transaction

from casedesk.kb.models import Article

# Column weights: bm25's per column (title, summary, body, tags) and ts_rank_cd's per weight
# class {D, C, B, A}: title A, tags and summary B, body D.
_BM25 = "bm25(kb_article_fts, 10.0, 4.0, 1.0, 4.0)"
_RANK_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'"

# The PostgreSQL text search configuration for an article's language (its primary subtag).
LANGUAGE_CONFIGS = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "nl": "dutch",
    "it": "italian", "pt": "portuguese",
}
_CONFIGS = (*LANGUAGE_CONFIGS.values(), "simple")

MAX_LIMIT = 100
MAX_QUERY_CHARS = 1000
MAX_WORDS = 16
MAX_WORD_CHARS = 64
MIN_PREFIX_CHARS = 3  # a shorter last word matches only itself, not every word it starts
MIN_CORRECTED_CHARS = 4  # shorter words are too often a different word one letter away
TYPO_CUTOFF = 0.8
MAX_INDEXED_BODY_CHARS = 100_000  # the rest of a very long body adds cost, not findability

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float


def language_config(language: str) -> str:
    """The text search configuration for a language tag ("en", "de-CH"); `simple` (no
    stemming, no stop words) for the languages PostgreSQL does not stem here."""
    primary = language.split("-")[0].split("_")[0].strip().lower()
    return LANGUAGE_CONFIGS.get(primary, "simple")


def query_words(q: str) -> list[str]:
    """The words of a query, lowercased: runs of letters and digits, nothing else."""
    words = _WORD.findall(q[:MAX_QUERY_CHARS].lower())
    return [word[:MAX_WORD_CHARS] for word in words[:MAX_WORDS]]


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
    transaction; returns how many articles it indexed."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if tenant_id is None:
                cursor.execute("DELETE FROM kb_article_search")
            else:
                cursor.execute("DELETE FROM kb_article_search WHERE tenant_id = %s",
                               [tenant_id])
        elif connection.vendor == "sqlite":
            if tenant_id is None:
                cursor.execute("DELETE FROM kb_article_fts")
            else:
                cursor.execute("DELETE FROM kb_article_fts WHERE rowid IN"
                               " (SELECT id FROM kb_article WHERE tenant_id = %s)", [tenant_id])
        articles = Article.objects.all() if tenant_id is None else Article.objects.filter(
            tenant_id=tenant_id)
        count = 0
        for article in articles.order_by("pk").iterator(chunk_size=500):
            index_article(article)
            count += 1
    return count


def search_articles(tenant_id: int, q: str, *, visibility: set[str] | None = None,
                    statuses: set[str] | None = None, category_ids: set[int] | None = None,
                    limit: int = 20) -> list[Hit]:
    """The tenant's articles matching `q`, best first, with a score (higher is better), among
    those with the given visibility, statuses and categories (None: any). Never raises on
    what the user typed: a query with no words finds nothing."""
    limit = max(1, min(limit, MAX_LIMIT))
    words = query_words(q)
    if not words or visibility == set() or statuses == set() or category_ids == set():
        return []
    where, params = _filters(tenant_id, visibility, statuses, category_ids)
    engine = _Postgres(where, params) if connection.vendor == "postgresql" else _Sqlite(
        where, params)
    found: list[Hit] = []

    def add(hits: list[Hit]) -> None:
        _append_below(found, hits, limit)

    add(engine.all_words(words, limit))
    if len(found) < limit and isinstance(engine, _Postgres) and _has_trigrams():
        add(engine.similar_titles(" ".join(words), limit + len(found)))
    corrected = words
    if len(found) < limit:
        corrected = _corrected(words, _vocabulary(tenant_id))
        if corrected != words:
            add(engine.all_words(corrected, limit + len(found)))
    if len(found) < limit and len(words) > 1:
        add(engine.any_word(list(dict.fromkeys(words + corrected)), limit + len(found)))
    return found


def _append_below(found: list[Hit], hits: list[Hit], limit: int) -> None:
    """Adds the articles of `hits` not yet in `found`, scaled to score below all of them."""
    seen = {hit.article_id for hit in found}
    new = [hit for hit in hits if hit.article_id not in seen]
    if not new:
        return
    floor = min((hit.score for hit in found), default=None)
    top = max(hit.score for hit in new)
    if floor is not None and top > 0 and top >= floor:
        scale = floor / (2 * top)
        new = [Hit(hit.article_id, hit.score * scale) for hit in new]
    found.extend(new[:limit - len(found)])


def _filters(tenant_id: int, visibility: set[str] | None, statuses: set[str] | None,
             category_ids: set[int] | None) -> tuple[str, dict[str, Any]]:
    """The WHERE conditions on `a` (kb_article) both engines share, with their parameters."""
    conditions = ["a.tenant_id = %(tenant)s"]
    params: dict[str, Any] = {"tenant": tenant_id}
    for column, values in (("visibility", visibility), ("status", statuses),
                           ("category_id", category_ids)):
        if values is None:
            continue
        names = []
        for i, value in enumerate(sorted(values)):
            names.append(f"%({column}{i})s")
            params[f"{column}{i}"] = value
        conditions.append(f"a.{column} IN ({', '.join(names)})")
    return " AND ".join(conditions), params


def _hits(sql: str, params: dict[str, Any]) -> list[Hit]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(int(article_id), float(score)) for article_id, score in cursor.fetchall()]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


class _Sqlite:
    """Queries of the FTS5 table: quoted terms only, so the MATCH syntax never sees input."""

    def __init__(self, where: str, params: dict[str, Any]) -> None:
        self.where = where
        self.params = params

    def all_words(self, words: Sequence[str], limit: int) -> list[Hit]:
        terms = [_quoted(word) for word in words]
        if len(words[-1]) >= MIN_PREFIX_CHARS:
            terms[-1] += "*"
        return self._match(" AND ".join(terms), limit)

    def any_word(self, words: Sequence[str], limit: int) -> list[Hit]:
        return self._match(" OR ".join(_quoted(word) for word in words), limit)

    def _match(self, expression: str, limit: int) -> list[Hit]:
        sql = (f"SELECT a.id, -{_BM25} AS score FROM kb_article_fts"
               " JOIN kb_article a ON a.id = kb_article_fts.rowid"
               f" WHERE kb_article_fts MATCH %(match)s AND {self.where}"
               " ORDER BY score DESC, a.id LIMIT %(limit)s")
        try:
            return _hits(sql, {**self.params, "match": expression, "limit": limit})
        except OperationalError:
            # Quoted terms leave FTS5 nothing to refuse; should a build of SQLite still do,
            # the user gets no results rather than an error.
            return []


class _Postgres:
    """Queries of the tsvector table. An article is matched against the query parsed with its
    own language's configuration: one index-backed branch per configuration."""

    def __init__(self, where: str, params: dict[str, Any]) -> None:
        self.where = where
        self.params = params

    def all_words(self, words: Sequence[str], limit: int) -> list[Hit]:
        # Quoted, so a word such as "or" stays a word, not websearch's operator.
        head = " ".join(_quoted(word) for word in words[:-1])
        last = words[-1]
        if len(last) >= MIN_PREFIX_CHARS:
            query = "(websearch_to_tsquery({c}, %(head)s) && to_tsquery({c}, %(prefix)s))"
            params = {"head": head, "prefix": f"{last}:*"}
        else:
            query = "websearch_to_tsquery({c}, %(head)s)"
            params = {"head": f"{head} {_quoted(last)}"}
        return self._match(query, params, limit)

    def any_word(self, words: Sequence[str], limit: int) -> list[Hit]:
        return self._match("websearch_to_tsquery({c}, %(head)s)",
                           {"head": " or ".join(_quoted(word) for word in words)}, limit)

    def _match(self, query: str, params: dict[str, Any], limit: int) -> list[Hit]:
        branches = " OR ".join(
            f"(s.config = '{config}'::regconfig AND s.document @@ "
            + query.format(c=f"'{config}'::regconfig") + ")"
            for config in _CONFIGS)
        sql = (f"SELECT a.id, ts_rank_cd({_RANK_WEIGHTS}, s.document, "
               + query.format(c="s.config") + ", 1) AS score"
               " FROM kb_article_search s JOIN kb_article a ON a.id = s.article_id"
               f" WHERE s.tenant_id = %(tenant)s AND ({branches}) AND {self.where}"
               " ORDER BY score DESC, a.id LIMIT %(limit)s")
        return _hits(sql, {**self.params, **params, "limit": limit})

    def similar_titles(self, text: str, limit: int) -> list[Hit]:
        sql = ("SELECT a.id, word_similarity(%(text)s, s.title) AS score"
               " FROM kb_article_search s JOIN kb_article a ON a.id = s.article_id"
               f" WHERE s.tenant_id = %(tenant)s AND %(text)s <%% s.title AND {self.where}"
               " ORDER BY score DESC, a.id LIMIT %(limit)s")
        return _hits(sql, {**self.params, "text": text, "limit": limit})


_trigram_databases: dict[str, bool] = {}


def _has_trigrams() -> bool:
    """Whether migration 0002 could add the trigram index on titles (pg_trgm)."""
    name = str(connection.settings_dict["NAME"])
    if name not in _trigram_databases:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s",
                           ["kb_article_search_title_trgm"])
            _trigram_databases[name] = cursor.fetchone() is not None
    return _trigram_databases[name]


def _vocabulary(tenant_id: int) -> list[str]:
    """The words of the tenant's titles and tags, the words a typo is corrected to. Read on
    each correction: cheap for a knowledge base of thousands of articles."""
    words: set[str] = set()
    for title, tags in Article.objects.filter(tenant_id=tenant_id).values_list("title", "tags"):
        words.update(_WORD.findall(title.lower()))
        for tag in tags or []:
            words.update(_WORD.findall(str(tag).lower()))
    return sorted(words)


def _corrected(words: list[str], vocabulary: list[str]) -> list[str]:
    """Each word, or the vocabulary's closest word to it when it is not a word there. A word
    that starts with a word there ("resetting", "invoices") is an inflection the stemmer
    finds, not a typo."""
    known = set(vocabulary)
    result = []
    for word in words:
        inflected = any(word[:end] in known for end in range(MIN_CORRECTED_CHARS, len(word)))
        if len(word) >= MIN_CORRECTED_CHARS and word not in known and not inflected:
            close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=TYPO_CUTOFF)
            result.append(close[0] if close else word)
        else:
            result.append(word)
    return result
