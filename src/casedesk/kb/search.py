"""Full-text search over a tenant's articles: title, summary, body (the Markdown source) and
tags, ranked best first with the title weighted highest.

The index lives in a table per engine (migration 0002): SQLite's FTS5 table `kb_article_fts`
(rowid = article id, porter stemming, ranked by `bm25`) or PostgreSQL's `kb_article_search`
(a weighted `tsvector` in the article's language, ranked by `ts_rank_cd`), which `kb.index`
writes.

A search (`search_articles`) runs in steps, each adding what it finds below what the earlier
ones found, until `limit` articles are found:
1. every word of the query (the last one also as a prefix: "passw" finds "password");
2. PostgreSQL with pg_trgm: titles similar to the query (typos: "pasword reset");
3. each word the tenant's articles do not use corrected to the closest word they do
   (`vocabulary`: ratio at least 0.8: "invocie" → "invoice"), then every corrected word;
4. any of the words (a question in plain words: "how do I reset my password").

Suggestions for a case (`match_terms`) start from many weighted words instead: typos
corrected, the most telling words (rare in the tenant's articles, heavily weighted) find the
candidates, and the candidates are reranked by `vocabulary.Vocabulary.score` (BM25F over the
fields), the same arithmetic on both engines.

Any-word matching is what costs at scale: common words match most articles, and ranking
tens of thousands of rows took seconds at 50,000 articles. So the candidates come in tiers, in
order of value (`_select`): the rare words (alone while the articles using them add up to
CANDIDATE_BUDGET by the vocabulary's counts) more telling than the first common word, the
articles with all of the COMMON_WORDS most telling common words, the other rare words; any
two of those common words (or each, when there are fewer) only when the tiers find too few.
At most MAX_CANDIDATES rows are ranked: PostgreSQL reads the tiers in order, so a cap drops
the least telling; SQLite reads in rowid order and ranks more (SQLITE_MAX_CANDIDATES). The
rank knows the idf on both engines: bm25 over all the words on SQLite, on PostgreSQL the sum
of each word's value (weight times idf) times its ts_rank.

The query is only ever the user's words (letters and digits), each quoted, so no input reaches
the engines' query syntax: quotes, operators, NUL bytes and overlong text are words or nothing.
"""

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection
from django.db.models.functions import Substr

from casedesk.kb import vocabulary as vocabularies
from casedesk.kb.index import LANGUAGE_CONFIGS, language_config
from casedesk.kb.models import Article
from casedesk.kb.vocabulary import WORD, Vocabulary, root

# Column weights: bm25's per column (title, summary, body, tags) and ts_rank_cd's per weight
# class {D, C, B, A}: title A, tags and summary B, body D.
_BM25 = "bm25(kb_article_fts, 10.0, 4.0, 1.0, 4.0)"
_RANK_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'"
# The same for candidates the rerank reads next: close to its FIELD_WEIGHTS, so the ones it
# would put first are among those it reads.
_BM25_RERANKED = "bm25(kb_article_fts, 3.0, 1.5, 1.0, 2.0)"
_RANK_WEIGHTS_RERANKED = "'{0.33, 0.5, 0.6, 1.0}'"

_CONFIGS = frozenset((*LANGUAGE_CONFIGS.values(), "simple"))

MAX_LIMIT = 100
MAX_QUERY_CHARS = 1000
MAX_WORDS = 16
MAX_WORD_CHARS = 64
MIN_PREFIX_CHARS = 3  # a shorter last word matches only itself, not every word it starts
# Any-word candidates: the rarest words alone while their articles add up to this many...
CANDIDATE_BUDGET = 1000
# ...then the most telling of the others, together (two at a time as the fallback); and
# never more rows ranked than MAX_CANDIDATES. Three common words, not more: at 50,000
# articles more only made it slower and further from the rerank's own order.
COMMON_WORDS = 3
MAX_CANDIDATES = 1000
# SQLite reads candidates in rowid order, not in order of value, so it ranks more of them:
# bm25 in C costs it about a microsecond a row.
SQLITE_MAX_CANDIDATES = 3000
# Suggestions: how many candidates the rerank reads, and a corrected word's share of weight.
RERANK_DEPTH = 40
RERANK_BODY_CHARS = 2000  # of each candidate's body: what it is about is said first
CORRECTED_WEIGHT = 0.8

_WORD = WORD


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float


def query_words(q: str) -> list[str]:
    """The words of a query, lowercased: runs of letters and digits, nothing else."""
    words = _WORD.findall(q[:MAX_QUERY_CHARS].lower())
    return [word[:MAX_WORD_CHARS] for word in words[:MAX_WORDS]]


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
    vocabulary = vocabularies.vocabulary(tenant_id)
    engine = _engine(tenant_id, vocabulary, visibility, statuses, category_ids)
    if engine is None:
        return []
    found: list[Hit] = []

    def add(hits: list[Hit]) -> None:
        _append_below(found, hits, limit)

    add(engine.all_words(words, limit, matches=min(map(vocabulary.df, words))))
    if len(found) < limit and isinstance(engine, _Postgres) and _has_trigrams():
        add(engine.similar_titles(" ".join(words), limit + len(found)))
    corrected = words
    if len(found) < limit:
        corrected = [vocabulary.corrected(word) for word in words]
        if corrected != words:
            add(engine.all_words(corrected, limit + len(found),
                                 matches=min(map(vocabulary.df, corrected))))
    if len(found) < limit and len(words) > 1:
        either = dict.fromkeys(words + corrected, 1.0)
        add(_any_word(engine, _select(either, vocabulary), limit + len(found)))
    return found


def match_terms(tenant_id: int, terms: dict[str, float], *, visibility: set[str] | None = None,
                statuses: set[str] | None = None, limit: int = 20) -> list[Hit]:
    """The tenant's articles best matching weighted words (word -> weight, e.g. a case's
    subject words weighing more than its description's), best first: typos corrected, the
    candidates found through the most telling words, ranked by BM25F with each word's weight
    times its idf (see the module's docstring). Scores have no unit: compare them within one
    call."""
    limit = max(1, min(limit, MAX_LIMIT))
    if not terms or visibility == set() or statuses == set():
        return []
    vocabulary = vocabularies.vocabulary(tenant_id)
    weights: dict[str, float] = {}
    for given, weight in terms.items():
        word = given.lower()[:MAX_WORD_CHARS]
        if not _WORD.fullmatch(word) or weight <= 0:
            continue
        fixed = vocabulary.corrected(word)
        weight *= 1.0 if fixed == word else CORRECTED_WEIGHT
        if vocabulary.df(fixed) and weight > weights.get(fixed, 0.0):
            weights[fixed] = weight
    engine = _engine(tenant_id, vocabulary, visibility, statuses, None)
    if not weights or engine is None:
        return []
    candidates = _any_word(engine, _select(weights, vocabulary), max(limit, RERANK_DEPTH),
                           reranked=True)
    by_root: dict[str, float] = {}
    for word, weight in weights.items():
        key = root(word)
        by_root[key] = max(by_root.get(key, 0.0), weight * vocabulary.idf(word))
    texts = Article.objects.filter(
        tenant_id=tenant_id, pk__in=[hit.article_id for hit in candidates]).annotate(
        head=Substr("body", 1, RERANK_BODY_CHARS)).values_list(
        "pk", "title", "summary", "tags", "head", "category__name", "category__parent__name")
    scores = {pk: vocabulary.score(by_root, {
        "title": title, "summary": summary, "tags": " ".join(map(str, tags or [])),
        "body": head, "category": f"{category or ''} {parent or ''}"})
        for pk, title, summary, tags, head, category, parent in texts}
    order = sorted(range(len(candidates)),
                   key=lambda k: (-scores.get(candidates[k].article_id, 0.0), k))
    return [Hit(candidates[k].article_id, scores.get(candidates[k].article_id, 0.0))
            for k in order[:limit]]


@dataclass(frozen=True)
class _Selection:
    """An any-word match. Candidates are the articles with every word of a group of one of
    `tiers` (in order of value, so a capped read keeps the best), of `fallback` only when the
    tiers find too few; they rank by the words of `values`, each worth its value (the
    query's weight times its idf)."""

    tiers: list[list[tuple[str, ...]]]
    fallback: list[tuple[str, ...]]
    values: dict[str, float]


def _select(weights: dict[str, float], vocabulary: Vocabulary) -> _Selection:
    """The any-word match of `weights` (word -> query weight): at most MAX_WORDS words, the
    most telling first (weight times idf). Rare words are candidates alone while the articles
    using them add up to CANDIDATE_BUDGET; the first COMMON_WORDS common ones three at a
    time, or as the fallback two at a time (each alone when there are fewer than three).
    Tiers: the rare words more telling than the first common one, the threes, the other
    rare words."""
    value = {word: weight * vocabulary.idf(word) for word, weight in weights.items()}
    ranked = sorted(value, key=lambda word: value[word], reverse=True)[:MAX_WORDS]
    rare: list[str] = []
    common: list[str] = []
    spent = 0
    for word in ranked:
        df = vocabulary.df(word)
        if spent + df <= CANDIDATE_BUDGET:
            rare.append(word)
            spent += df
        else:
            common.append(word)
    top = common[:COMMON_WORDS]
    telling = [word for word in rare if not top or value[word] >= value[top[0]]]
    tiers: list[list[tuple[str, ...]]] = [
        [(word,) for word in telling], list(itertools.combinations(top, 3)),
        [(word,) for word in rare if word not in telling]]
    fallback: list[tuple[str, ...]] = (list(itertools.combinations(top, 2)) if len(top) >= 3
                                       else [(word,) for word in top])
    return _Selection([tier for tier in tiers if tier], fallback,
                      {word: value[word] for word in ranked})


def _any_word(engine: "_Sqlite | _Postgres", selection: _Selection, limit: int, *,
              reranked: bool = False) -> list[Hit]:
    """The best `limit` candidates of the selection's tiers; of its fallback as well when
    the tiers find fewer."""
    hits = (engine.candidates(selection.tiers, selection.values, limit, reranked=reranked)
            if selection.tiers else [])
    if len(hits) < limit and selection.fallback:
        hits = engine.candidates([*selection.tiers, selection.fallback], selection.values,
                                 limit, reranked=reranked)
    return hits


def _engine(tenant_id: int, vocabulary: Vocabulary, visibility: set[str] | None,
            statuses: set[str] | None, category_ids: set[int] | None
            ) -> "_Sqlite | _Postgres | None":
    where, params = _filters(tenant_id, visibility, statuses, category_ids)
    if connection.vendor == "postgresql":
        # Only the configurations the tenant's articles use: every other one's branch would
        # look words up in the index for nothing.
        configs = sorted({language_config(language) for language in vocabulary.languages}
                         & _CONFIGS)
        return _Postgres(where, params, configs) if configs else None
    if connection.vendor == "sqlite":
        return _Sqlite(where, params)
    return None


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

    def all_words(self, words: Sequence[str], limit: int, *, matches: int = 0) -> list[Hit]:
        """Articles with every word, the last also as a prefix. When about `matches` articles
        are more than SQLite ranks, those with the words in the title, summary or tags are
        read first: otherwise the cap would keep the oldest."""
        terms = [_quoted(word) for word in words]
        if len(words[-1]) >= MIN_PREFIX_CHARS:
            terms[-1] += "*"
        expression = " AND ".join(terms)
        if matches > SQLITE_MAX_CANDIDATES:
            return self._match_first(f"{{title summary tags}} : ({expression})", expression,
                                     limit)
        return self._match(expression, limit)

    def _match_first(self, first: str, then: str, limit: int) -> list[Hit]:
        """The articles matching `first`, then those matching `then`, up to the cap; each
        article ranked by the better of its two bm25s."""
        sql = ("SELECT id, max(score) AS score FROM ("
               f"SELECT a.id AS id, -{_BM25} AS score FROM kb_article_fts CROSS JOIN kb_article a"
               " ON a.id = kb_article_fts.rowid WHERE kb_article_fts MATCH %(first)s"
               f" AND {self.where} UNION ALL"
               f" SELECT a.id AS id, -{_BM25} AS score FROM kb_article_fts CROSS JOIN kb_article a"
               " ON a.id = kb_article_fts.rowid WHERE kb_article_fts MATCH %(then)s"
               f" AND {self.where} LIMIT %(candidates)s)"
               " GROUP BY id ORDER BY score DESC, id LIMIT %(limit)s")
        return self._hits(sql, {"first": first, "then": then, "limit": limit})

    def candidates(self, branches: list[list[tuple[str, ...]]], values: dict[str, float],
                   limit: int, *, reranked: bool = False) -> list[Hit]:
        """The articles with every word of one of the groups of `branches`, ranked by bm25
        over the words of `values`: the groups ANDed with all those words when some of
        them are in no single-word group (bm25 counts the words of the expression, and
        brings the idf). SQLite reads them in rowid order, not branch by branch."""
        groups = [group for branch in branches for group in branch]
        candidates = " OR ".join(
            _quoted(group[0]) if len(group) == 1
            else "(" + " AND ".join(_quoted(word) for word in group) + ")" for group in groups)
        if not candidates:
            return []
        if not set(values) <= {group[0] for group in groups if len(group) == 1}:
            candidates = f"({candidates}) AND ({' OR '.join(_quoted(word) for word in values)})"
        return self._match(candidates, limit, _BM25_RERANKED if reranked else _BM25)

    def _match(self, expression: str, limit: int, bm25: str = _BM25) -> list[Hit]:
        # The inner LIMIT bounds how many rows bm25 ranks (MAX_CANDIDATES). CROSS JOIN keeps
        # the full-text match the outer loop: SQLite would otherwise walk the tenant's
        # articles and evaluate the whole MATCH again for each of them.
        sql = (f"SELECT id, score FROM (SELECT a.id AS id, -{bm25} AS score"
               " FROM kb_article_fts CROSS JOIN kb_article a ON a.id = kb_article_fts.rowid"
               f" WHERE kb_article_fts MATCH %(match)s AND {self.where}"
               " LIMIT %(candidates)s) ORDER BY score DESC, id LIMIT %(limit)s")
        return self._hits(sql, {"match": expression, "limit": limit})

    def _hits(self, sql: str, params: dict[str, Any]) -> list[Hit]:
        try:
            return _hits(sql, {**self.params, **params, "candidates": SQLITE_MAX_CANDIDATES})
        except OperationalError:
            # Quoted terms leave FTS5 nothing to refuse; should a build of SQLite still do,
            # the user gets no results rather than an error.
            return []


# SQL of a tsquery, with named parameters, for the configuration put in for `{c}`; with
# _FIELDS in front, the same query restricted to the title, summary and tags (weights A, B).
_Query = str
_FIELDS = "fields:"
_LEXEME = re.compile(r"('(?:[^']|'')*')(:\*)?")


class _Postgres:
    """Queries of the tsvector table. An article is matched against the query parsed with its
    own language's configuration: one index-backed branch per configuration the tenant's
    articles use. The tsqueries are parsed first (`_tsqueries`), then given as constants."""

    def __init__(self, where: str, params: dict[str, Any], configs: list[str]) -> None:
        self.where = where
        self.params = params
        self.configs = configs

    def all_words(self, words: Sequence[str], limit: int, *, matches: int = 0) -> list[Hit]:
        """Articles with every word, the last also as a prefix. When about `matches` articles
        are more than are ranked, those with the words in the title, summary or tags
        (weights A and B) are read first: otherwise the cap would keep any of them."""
        # Quoted, so a word such as "or" stays a word, not websearch's operator.
        head = " ".join(_quoted(word) for word in words[:-1])
        last = words[-1]
        if len(last) >= MIN_PREFIX_CHARS:
            params = {"head": head, "prefix": f"{last}:*"}
            query = "(websearch_to_tsquery({c}, %(head)s) && to_tsquery({c}, %(prefix)s))"
        else:
            params = {"head": f"{head} {_quoted(last)}"}
            query = "websearch_to_tsquery({c}, %(head)s)"
        if matches > MAX_CANDIDATES:
            return self._match([_FIELDS + query, query], query, params, limit)
        return self._match([query], query, params, limit)

    def candidates(self, branches: list[list[tuple[str, ...]]], values: dict[str, float],
                   limit: int, *, reranked: bool = False) -> list[Hit]:
        """The articles with every word of one of the groups of `branches`, read branch by
        branch, ranked by the words of `values`."""
        params: dict[str, Any] = {}
        queries: list[_Query] = []
        for i, groups in enumerate(branches):
            params[f"b{i}"] = " or ".join(" ".join(_quoted(word) for word in group)
                                          for group in groups)
            queries.append(f"websearch_to_tsquery({{c}}, %(b{i})s)")
        terms: list[tuple[_Query, float]] = []
        for k, (word, value) in enumerate(values.items()):
            params[f"t{k}"] = _quoted(word)
            terms.append((f"websearch_to_tsquery({{c}}, %(t{k})s)", value))
        return self._match(queries, terms, params, limit,
                           _RANK_WEIGHTS_RERANKED if reranked else _RANK_WEIGHTS)

    def _match(self, branches: list[_Query], rank: _Query | list[tuple[_Query, float]],
               params: dict[str, Any], limit: int, weights: str = _RANK_WEIGHTS
               ) -> list[Hit]:
        """Articles whose document matches one of `branches` (read in that order, at most
        MAX_CANDIDATES of them ranked), best first by `rank`: one query (ts_rank_cd), or
        words with their values (the sum of each value times the word's ts_rank: an idf
        ts_rank does not know, and ts_rank is a thirtieth of ts_rank_cd's cost)."""
        queries: dict[str, str] = {}  # name -> SQL of the tsquery
        matches: list[list[str]] = [[] for _ in branches]
        ranks: list[str] = []
        for i, config in enumerate(self.configs):
            c = f"'{config}'::regconfig"
            for j, branch in enumerate(branches):
                queries[f"b{i}_{j}"] = branch.format(c=c)
                matches[j].append(f"(s.config = {c} AND s.document @@ %(b{i}_{j})s::tsquery)")
            if isinstance(rank, list):
                parts = []
                for k, (term, value) in enumerate(rank):
                    queries[f"r{i}_{k}"] = term.format(c=c)
                    parts.append(f"{float(value)!r} * ts_rank({weights}, c.document,"
                                 f" %(r{i}_{k})s::tsquery, 1)")
                ranks.append(f"WHEN {c} THEN {' + '.join(parts) or '0'}")
            else:
                queries[f"r{i}"] = rank.format(c=c)
                ranks.append(f"WHEN {c} THEN ts_rank_cd({_RANK_WEIGHTS}, c.document,"
                             f" %(r{i})s::tsquery, 1)")
        score = (ranks[0].split(" THEN ", 1)[1] if len(ranks) == 1
                 else f"CASE c.config {' '.join(ranks)} END")
        # Each candidate's article is probed by its key (a LATERAL subquery the planner may
        # not flatten: OFFSET 0): a hash join would read every article of the tenant to
        # filter a few. With several ts_rank calls, the document is copied once (||), so a
        # long one stored compressed is not decompressed by each call.
        document = "s.document || ''::tsvector" if isinstance(rank, list) else "s.document"
        selects = [
            f"(SELECT s.article_id, s.config, {document} AS document"
            " FROM kb_article_search s CROSS JOIN LATERAL (SELECT 1 FROM kb_article a"
            f" WHERE a.id = s.article_id AND {self.where} OFFSET 0) f"
            f" WHERE s.tenant_id = %(tenant)s AND ({' OR '.join(match)}))"
            for match in matches]
        # Scored before grouping (OFFSET 0 keeps it so): the grouping then handles ids and
        # scores, not documents.
        sql = ("SELECT article_id, max(score) AS score FROM ("
               f"SELECT c.article_id, {score} AS score"
               f" FROM ({' UNION ALL '.join(selects)} LIMIT %(candidates)s) c OFFSET 0) scored"
               " GROUP BY article_id ORDER BY score DESC, article_id LIMIT %(limit)s")
        return _hits(sql, {**self.params, **_tsqueries(queries, params), "limit": limit,
                           "candidates": MAX_CANDIDATES})

    def similar_titles(self, text: str, limit: int) -> list[Hit]:
        sql = ("SELECT a.id, word_similarity(%(text)s, s.title) AS score"
               " FROM kb_article_search s JOIN kb_article a ON a.id = s.article_id"
               f" WHERE s.tenant_id = %(tenant)s AND %(text)s <%% s.title AND {self.where}"
               " ORDER BY score DESC, a.id LIMIT %(limit)s")
        return _hits(sql, {**self.params, "text": text, "limit": limit})


def _tsqueries(queries: dict[str, str], params: dict[str, Any]) -> dict[str, str]:
    """The tsqueries, parsed by PostgreSQL in one round trip, as text for `::tsquery`
    parameters. Constants in the search query let the planner estimate how many articles
    match (and use the GIN index for the rare words); a cached generic plan still parses
    each once, where the parsing function in the query would run for every row."""
    names = list(queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(
            f"({queries[name].removeprefix(_FIELDS)})::text" for name in names), params)
        row = cursor.fetchone()
    parsed = dict(zip(names, row, strict=True))
    for name, sql in queries.items():
        if sql.startswith(_FIELDS):
            # Each lexeme ('print', 'offlin':*) of the query text limited to weights A and B.
            parsed[name] = _LEXEME.sub(lambda m: f"{m[1]}:{'*' if m[2] else ''}AB",
                                       parsed[name])
    return parsed


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
