"""The engines' queries: for one source of text, the rows matching a parsed query, each with
its rank (higher is better), at most `limit` of them.

Every query is parameterized; the only user text that reaches an engine is words
(`query.terms_of`), given to `plainto_tsquery`/`phraseto_tsquery` on PostgreSQL and quoted as
FTS5 phrases on SQLite, so no input can speak either engine's query syntax.

Bounded work at any size: PostgreSQL reads the newest `limit` matching rows of a source from
`search_document` (the planner picks the GIN index for rare words, and for common ones walks
the newest rows testing their stored vectors) and ranks only those; SQLite ranks all matches
by bm25 in C, which at the sizes SQLite serves costs little. `row_condition` is SQL over the
source's row `d` (both engines have `d.is_public` for notes).
"""

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from casedesk.search.index import CASE, CONFIG, DOCUMENT_TABLE, Source
from casedesk.search.query import ParsedQuery

_TOKEN = re.compile(r"[^\W_]+")
# PostgreSQL: a word in at least COMMON_SHARE of the indexed rows is common; a query of common
# words walks the newest WALK_ROWS rows of a source, and keeps that when it found at least
# MIN_WALK_MATCHES (else the GIN index answers). COMMON_TTL: how long the word counts are kept.
COMMON_SHARE = 0.002
WALK_ROWS = 10_000
MIN_WALK_MATCHES = 20
COMMON_TTL = 600.0
# bm25's weight of each indexed column on SQLite, in the order of the source's columns.
_BM25_WEIGHTS: dict[str, tuple[float, ...]] = {
    "case": (10.0, 2.0), "note": (1.0,), "mail_out": (2.0, 1.0), "mail_in": (2.0, 2.0),
    "contact": (1.0, 1.0), "account": (2.0, 1.0)}


@dataclass(frozen=True)
class Condition:
    """SQL over the case row `c` (cases_case), with its parameters."""

    sql: str
    params: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    source: str
    row_id: int
    case_id: int | None
    rank: float


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def matches(source: Source, parsed: ParsedQuery, *, tenant_id: int,
            conditions: Sequence[Condition], row_condition: str = "",
            limit: int) -> list[Match]:
    """The source's rows of the tenant matching the query's words, phrases and exclusions,
    whose case (when the source has cases) meets `conditions`; `row_condition` is SQL over
    the source's row `d` (e.g. public notes only)."""
    if not parsed.has_text:
        return []
    if is_postgres():
        return _postgres(source, parsed, tenant_id, conditions, row_condition, limit)
    return _sqlite(source, parsed, tenant_id, conditions, row_condition, limit)


def _where(conditions: Sequence[Condition], row_condition: str) -> tuple[str, list[Any]]:
    """The extra WHERE of the conditions and the row's, with its parameters."""
    where = [f"({row_condition})"] if row_condition else []
    params: list[Any] = []
    for condition in conditions:
        where.append(f"({condition.sql})")
        params.extend(condition.params)
    return "".join(f" AND {w}" for w in where), params


def _postgres(source: Source, parsed: ParsedQuery, tenant_id: int,
              conditions: Sequence[Condition], row_condition: str,
              limit: int) -> list[Match]:
    """Newest matches first. A query with a rare word is answered through the GIN index
    (`row_id + 0` keeps the planner off the newest-first walk, which it prices from one
    guess for every rare word and would pick; the source is a literal so that the planner
    picks the source's own partial GIN index); a query of common words only walks the
    newest rows testing their stored vectors, which stops after `limit` matches, and falls
    back to the GIN index when the newest WALK_ROWS rows hold too few."""
    if _is_common(parsed):
        found = _postgres_run(source, parsed, tenant_id, conditions, row_condition, limit,
                              walk=True)
        if len(found) >= min(limit, MIN_WALK_MATCHES):
            return found
    return _postgres_run(source, parsed, tenant_id, conditions, row_condition, limit,
                         walk=False)


def _postgres_run(source: Source, parsed: ParsedQuery, tenant_id: int,
                  conditions: Sequence[Condition], row_condition: str, limit: int, *,
                  walk: bool) -> list[Match]:
    tsquery, query_params = _tsquery(parsed)
    extra, params = _where(conditions, row_condition)
    join = " JOIN cases_case c ON c.id = d.case_id" if conditions else ""
    if walk:
        rows_from = (f"(SELECT * FROM {DOCUMENT_TABLE} w WHERE w.tenant_id = %s AND "
                     f"w.source = '{source.name}' ORDER BY w.row_id DESC LIMIT %s) d")
        head = [tenant_id, WALK_ROWS]
        order = "d.row_id DESC"
    else:
        rows_from = f"{DOCUMENT_TABLE} d"
        head = []
        order = "d.row_id + 0 DESC"
    sql = f"""
        SELECT m.row_id, m.case_id, ts_rank(m.document, {tsquery}) FROM (
            SELECT d.row_id, d.case_id, d.document
            FROM {rows_from}{join}
            WHERE d.tenant_id = %s AND d.source = '{source.name}'
              AND d.document @@ {tsquery}{extra}
            ORDER BY {order}
            LIMIT %s
        ) m"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*query_params, *head, tenant_id, *query_params, *params, limit])
        rows = cursor.fetchall()
    return [Match(source.name, row_id, case_id, float(rank)) for row_id, case_id, rank in rows]


def _is_common(parsed: ParsedQuery) -> bool:
    """Every word and phrase word is among the index's most common words (PostgreSQL's
    statistics of search_document, at least COMMON_SHARE of the rows)."""
    frequent = _common_words()
    words = [*parsed.words, *(w for phrase in parsed.phrases for w in phrase)]
    return bool(words) and all(frequent.get(word, 0.0) >= COMMON_SHARE for word in words)


_common_cache: dict[str, Any] = {"at": -1e9, "words": {}}


def _common_words() -> dict[str, float]:
    """Word → share of indexed rows holding it, for the most common words (ANALYZE's
    most_common_elems), read at most every COMMON_TTL seconds per process."""
    now = time.monotonic()
    if now - _common_cache["at"] < COMMON_TTL:
        return dict(_common_cache["words"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT most_common_elems::text::text[], most_common_elem_freqs "
                       "FROM pg_stats WHERE tablename = %s AND attname = 'document'",
                       [DOCUMENT_TABLE])
        row = cursor.fetchone()
    words: dict[str, float] = {}
    if row is not None and row[0] is not None:
        words = dict(zip(row[0], (float(f) for f in row[1]), strict=False))
    _common_cache.update(at=now, words=words)
    return words


def _tsquery(parsed: ParsedQuery) -> tuple[str, list[str]]:
    parts: list[str] = []
    params: list[str] = []
    for word in parsed.words:
        parts.append(f"plainto_tsquery('{CONFIG}', %s)")
        params.append(word)
    for phrase in parsed.phrases:
        parts.append(f"phraseto_tsquery('{CONFIG}', %s)")
        params.append(" ".join(phrase))
    for excluded in parsed.excluded:
        parts.append(f"!! phraseto_tsquery('{CONFIG}', %s)")
        params.append(" ".join(excluded))
    return "(" + " && ".join(parts) + ")", params


def _phrase(words: Sequence[str]) -> str:
    tokens = [token for word in words for token in _TOKEN.findall(word)]
    return '"' + " ".join(tokens) + '"' if tokens else ""


def fts5_query(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH expression: every word and phrase, none of the exclusions; "" when
    nothing matchable is left."""
    positive = [p for p in (*(_phrase([w]) for w in parsed.words),
                            *(_phrase(list(p)) for p in parsed.phrases)) if p]
    if not positive:
        return ""
    expression = "(" + " AND ".join(positive) + ")"
    for excluded in parsed.excluded:
        phrase = _phrase(list(excluded))
        if phrase:
            expression += f" NOT {phrase}"
    return expression


def _sqlite(source: Source, parsed: ParsedQuery, tenant_id: int,
            conditions: Sequence[Condition], row_condition: str,
            limit: int) -> list[Match]:
    expression = fts5_query(parsed)
    if not expression:
        return []
    alias = "c" if source is CASE else "d"
    extra, params = _where(conditions, row_condition)
    # The case source is the case row itself; the others join their case to test it.
    join = f" JOIN cases_case c ON c.id = d.{source.case_column}" if (
        source is not CASE and conditions) else ""
    fts = source.fts_table
    weights = ", ".join(str(w) for w in _BM25_WEIGHTS[source.name])
    case_column = f"{alias}.{source.case_column}" if source.case_column else "NULL"
    sql = f"""
        SELECT {alias}.id, {case_column}, bm25({fts}, {weights}) AS score
        FROM {fts} JOIN {source.table} {alias} ON {alias}.id = {fts}.rowid{join}
        WHERE {fts} MATCH %s AND {alias}.tenant_id = %s{extra}
        ORDER BY score, {alias}.id DESC
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, tenant_id, *params, limit])
        rows = cursor.fetchall()
    # bm25 is lower for better matches, and negative; ts_rank the other way round.
    return [Match(source.name, row_id, case_id, -float(score))
            for row_id, case_id, score in rows]


def filtered(*, tenant_id: int, conditions: Sequence[Condition], limit: int) -> list[int]:
    """The ids of the tenant's cases meeting `conditions` (a search with operators and no
    words), newest first."""
    where = "".join(f" AND ({c.sql})" for c in conditions)
    params = [p for c in conditions for p in c.params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.id FROM cases_case c WHERE c.tenant_id = %s{where} "
                       "ORDER BY c.id DESC LIMIT %s", [tenant_id, *params, limit])
        return [row[0] for row in cursor.fetchall()]
