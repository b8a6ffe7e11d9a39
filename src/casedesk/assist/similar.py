"""Similar cases: the earlier cases of the same tenant that read most like a case, resolved
ones first, each with what resolved it.

**The index, and why this one.** A case's text (subject, category and subcategory, the first
words of its description: `kb.suggestions.query_terms`, so cases and articles are read the
same way) becomes a *signature*: its word roots, hashed to 64-bit integers, each weighted by
where it stands times its inverse document frequency in the tenant, and the VECTOR_TERMS
heaviest kept as a unit vector (`SimilarSignature`). The POSTING_TERMS heaviest of those are
also written to an inverted table `SimilarPosting (tenant, term, case, weight)` with a B-tree
index on `(tenant, term, weight desc, case desc)`; `SimilarTerm` holds the document
frequencies. A query computes the case's own vector from its current text (so a case not yet
indexed, or edited a second ago, still gets answers), reads for each of its QUERY_TERMS
heaviest terms at most POSTINGS_PER_TERM postings of highest weight among the cases created
before it (newest first among equal weights): one index range scan per term, whatever the
tenant's size, sums the products into candidates, re-ranks the CANDIDATES best exactly by the
cosine of the full signatures, and only then reads the cases (tenant, status, merged, created
no later) for the few left.

Plain tables and B-trees work the same on SQLite and PostgreSQL (no pgvector, and pg_trgm
compares characters, not what a case is about); the cost of a query is bounded by the caps
above, not by the number of cases: 9 ms p50, 22 ms p99 at 1,000,000 cases on 2 cores
(`bench/similar.py`). TF-IDF over word roots finds what a near duplicate is: the same rare
words (product names, error codes, invoice numbers) in about the same proportions; MinHash
bands would find only the textual near-copies and still need this for the rest.

**Keeping it current.** Every change of a case marks it in `SimilarDirty` in the change's own
transaction (the hook `cases.hooks.on_cases_touched`, registered in `assist.apps`: new cases,
edits, and also what changes cases without a timeline event, such as an erasure's redaction,
an imported history or a renamed category); the worker's job `similar_index_due` claims
marked cases with SKIP LOCKED (two workers share the list), BATCH a transaction and at most
MAX_PER_TURN a turn, and indexes them: a case whose text digest is unchanged (most touches: a
note, a claim, a status) is skipped after one read of its text. Document frequencies grow
as cases are first indexed (and by the words an edit brings); nothing is subtracted, as an edit
that drops a word changes its frequency by one in thousands. `similar_rebuild` (the command
`casedesk similar_index --tenant SLUG --rebuild`) recounts everything exactly; run it after a
bulk load that wrote cases around the services (SQL, a restored dump). Weights stored in
postings use the frequencies of when the case was indexed; the exact re-rank uses the stored
signatures, so a stale weight can only change which candidates are read, not their order.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from casedesk.assist.models import (
    SimilarDirty,
    SimilarIndexState,
    SimilarPosting,
    SimilarSignature,
    SimilarTerm,
)
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, Note
from casedesk.core import clock
from casedesk.core.rows import insert_values
from casedesk.kb.suggestions import query_terms
from casedesk.kb.vocabulary import root
from casedesk.tenancy.models import Tenant

VECTOR_TERMS = 24  # terms kept in a signature: the exact re-rank compares these
POSTING_TERMS = 8  # of those, the heaviest written to the inverted table
QUERY_TERMS = 10  # terms of the asking case whose postings are read
POSTINGS_PER_TERM = 150  # at most, per term: bounds a query at 1,500 index entries
CANDIDATES = 120  # summed candidates re-ranked exactly
MIN_SCORE = 0.2  # below this cosine a case is not "similar", however few there are
MAX_LIMIT = 20
BATCH = 200  # cases indexed per transaction
MAX_PER_TURN = 5_000  # cases a worker turn indexes at most; the rest wait for the next turn
# What a case is read for: its text, and its creation time for the postings.
TEXT_COLUMNS = (
    "pk",
    "tenant_id",
    "subject",
    "description",
    "category",
    "subcategory",
    "created_at",
)
DONE_STATUSES = frozenset({Status.RESOLVED.value, Status.CLOSED.value})


@dataclass(frozen=True)
class SimilarCase:
    case_id: int
    number: str  # as shown, e.g. CS-1042
    subject: str
    status: str
    score: float  # cosine of the signatures, 0–1
    resolution: str  # the closure note, else the last public agent reply; "" when neither
    resolution_source: str  # "closure_note", "reply" or ""

    @property
    def status_label(self) -> str:
        return self.status.replace("_", " ")


# --- signatures (pure) ---------------------------------------------------------------------


def term_hash(word_root: str) -> int:
    """A stable signed 64-bit hash of a word root (Python's `hash` differs per process)."""
    digest = hashlib.blake2b(word_root.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def case_terms(case: Case) -> dict[int, float]:
    """The case's hashed word roots, each with the weight of the part it stands in (the
    subject's words weigh most), summed when several words share a root."""
    terms: dict[int, float] = defaultdict(float)
    for word, weight in query_terms(case, "").items():
        terms[term_hash(root(word))] += weight
    return dict(terms)


def text_digest(case: Case) -> str:
    text = "\x1f".join((case.subject, case.category, case.subcategory, case.description))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def idf(df: int, documents: int) -> float:
    """Smoothed inverse document frequency: a term no indexed case has weighs most."""
    return math.log((documents + 1) / (df + 1)) + 1.0


def signature(
    terms: Mapping[int, float], df: Mapping[int, int], documents: int, *, size: int = VECTOR_TERMS
) -> dict[int, float]:
    """The `size` heaviest TF-IDF terms as a unit vector, heaviest first."""
    weighted = sorted(
        ((weight * idf(df.get(term, 0), documents), term) for term, weight in terms.items()),
        reverse=True,
    )[:size]
    norm = math.sqrt(sum(w * w for w, _ in weighted)) or 1.0
    return {term: w / norm for w, term in weighted}


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


def order_found(scored: Iterable[tuple[float, str, int]], limit: int) -> list[tuple[float, int]]:
    """Of (score, status, case id) at or above MIN_SCORE, the `limit` shown: resolved and
    closed cases first (they say what worked), then open ones, each by score."""
    kept = [
        (status not in DONE_STATUSES, -score, case_id, score)
        for score, status, case_id in scored
        if score >= MIN_SCORE
    ]
    kept.sort()
    return [(score, case_id) for _, _, case_id, score in kept[:limit]]


# --- reads ---------------------------------------------------------------------------------


def _documents(tenant_id: int) -> int:
    state = (
        SimilarIndexState.objects.filter(tenant_id=tenant_id)
        .values_list("documents", flat=True)
        .first()
    )
    return state or 0


def _frequencies(tenant_id: int, terms: Iterable[int]) -> dict[int, int]:
    return dict(
        SimilarTerm.objects.filter(tenant_id=tenant_id, term__in=list(terms)).values_list(
            "term", "df"
        )
    )


def query_vector(case: Case) -> dict[int, float]:
    """The case's signature from its current text and the tenant's current frequencies."""
    terms = case_terms(case)
    if not terms:
        return {}
    return signature(terms, _frequencies(case.tenant_id, terms), _documents(case.tenant_id))


def _candidates(
    tenant_id: int, vector: Mapping[int, float], *, until: datetime | None = None
) -> dict[int, float]:
    """Summed partial scores of the cases sharing the vector's heaviest terms: per term, the
    postings of highest weight (of cases created no later than `until`, when given), read in
    one statement of bounded index range scans."""
    query = list(vector.items())[:QUERY_TERMS]
    if not query:
        return {}
    table = SimilarPosting._meta.db_table
    bound = "" if until is None else "AND created_at <= %s "
    one = (
        f"SELECT * FROM (SELECT term, case_id, weight FROM {table} "  # noqa: S608
        f"WHERE tenant_id = %s AND term = %s {bound}"
        "ORDER BY weight DESC, case_id DESC LIMIT %s) AS p{n}"
    )
    sql = " UNION ALL ".join(one.format(n=k) for k in range(len(query)))
    params: list[int | datetime] = []
    for term, _ in query:
        params += [tenant_id, term] + ([] if until is None else [until])
        params.append(POSTINGS_PER_TERM)
    sums: dict[int, float] = defaultdict(float)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for term, case_id, weight in cursor.fetchall():
            sums[case_id] += vector[term] * weight
    return sums


def last_public_reply(tenant_id: int, case_id: int) -> str:
    """The last public reply an agent wrote on the case; "" when none. Internal notes and
    the customer's own messages (no member as author) are never taken."""
    body = (
        Note.objects.filter(
            tenant_id=tenant_id, case_id=case_id, is_public=True, author__isnull=False
        )
        .order_by("-created_at", "-pk")
        .values_list("body", flat=True)
        .first()
    )
    return (body or "").strip()


def _resolutions(tenant_id: int, cases: Sequence[tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """By case id, (text, source): the closure note, else the last public agent reply."""
    found = {case_id: (note.strip(), "closure_note") for case_id, note in cases if note.strip()}
    for case_id, _ in cases:
        if case_id not in found:
            reply = last_public_reply(tenant_id, case_id)
            found[case_id] = (reply, "reply") if reply else ("", "")
    return found


def similar_cases(tenant: Tenant, case: Case, *, limit: int = 5) -> list[SimilarCase]:
    """The `limit` earlier cases of the tenant most like `case`, resolved and closed ones
    first, never the case itself nor a case merged into another. Bounded work whatever the
    tenant's size (see the module's docstring)."""
    if case.tenant_id != tenant.pk:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    vector = query_vector(case)
    sums = _candidates(tenant.pk, vector, until=case.created_at)
    sums.pop(case.pk, None)
    best = sorted(sums.items(), key=lambda item: -item[1])[:CANDIDATES]
    stored = dict(
        SimilarSignature.objects.filter(
            tenant_id=tenant.pk, case_id__in=[case_id for case_id, _ in best]
        ).values_list("case_id", "vector")
    )
    exact = sorted(
        (
            (cosine(vector, {int(t): w for t, w in stored[case_id].items()}), case_id)
            for case_id, _ in best
            if case_id in stored
        ),
        reverse=True,
    )
    # More than shown are read, as some turn out later, merged or below the floor.
    pool = [case_id for score, case_id in exact[: limit * 4] if score >= MIN_SCORE]
    scores = dict((case_id, score) for score, case_id in exact)
    rows = {
        row["pk"]: row
        for row in Case.objects.filter(
            tenant=tenant, pk__in=pool, merged_into__isnull=True, created_at__lte=case.created_at
        )
        .exclude(pk=case.pk)
        .values("pk", "number", "subject", "status", "closure_note")
    }
    shown = order_found(((scores[pk], row["status"], pk) for pk, row in rows.items()), limit)
    notes = _resolutions(tenant.pk, [(pk, rows[pk]["closure_note"]) for _, pk in shown])
    return [
        SimilarCase(
            case_id=pk,
            number=f"{tenant.case_prefix}-{rows[pk]['number']}",
            subject=rows[pk]["subject"],
            status=rows[pk]["status"],
            score=round(score, 3),
            resolution=notes[pk][0],
            resolution_source=notes[pk][1],
        )
        for score, pk in shown
    ]


# --- writes --------------------------------------------------------------------------------


def cases_mark_dirty(tenant_id: int, case_ids: list[int]) -> None:
    """Marks changed cases for the worker, in the changing transaction (the hook
    `cases.hooks.on_cases_touched`: every timeline write, and the set-based changes that
    write none, such as an erasure's redaction, an import or a renamed category). Most
    touches leave the text alone; the job sees that from the digest and moves on."""
    at = clock.now()
    insert_values(
        SimilarDirty, ("tenant", "case", "marked_at"),
        # In id order, as every writer locks its rows: two changes never wait on each other.
        [(tenant_id, pk, at) for pk in sorted(case_ids)],
        connection, on_conflict="ON CONFLICT DO NOTHING")


def _add_frequencies(tenant_id: int, counts: Mapping[int, int], documents: int) -> None:
    """Adds to the tenant's document frequencies and count, as upserts in term order (two
    workers adding at once lock the rows in the same order, so they never deadlock)."""
    if counts:
        table = SimilarTerm._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (tenant_id, term, df) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (tenant_id, term) DO UPDATE SET df = {table}.df + excluded.df",
                [(tenant_id, term, n) for term, n in sorted(counts.items())],
            )
    if documents:
        state, _ = SimilarIndexState.objects.get_or_create(tenant_id=tenant_id)
        SimilarIndexState.objects.filter(pk=state.pk).update(documents=F("documents") + documents)


def cases_index(tenant_id: int, case_ids: Sequence[int], now: datetime) -> int:
    """(Re)indexes the tenant's cases in one transaction; returns how many changed. A case
    whose text is unchanged since it was indexed, or that is gone, is left alone."""
    with transaction.atomic():
        cases = list(Case.objects.filter(tenant_id=tenant_id, pk__in=case_ids).only(*TEXT_COLUMNS))
        old = {
            row[0]: row[1:]
            for row in SimilarSignature.objects.filter(
                tenant_id=tenant_id, case_id__in=case_ids
            ).values_list("case_id", "digest", "vector")
        }
        todo = [(case, text_digest(case)) for case in cases]
        todo = [
            (case, digest)
            for case, digest in todo
            if case.pk not in old or old[case.pk][0] != digest
        ]
        if not todo:
            return 0
        terms = {case.pk: case_terms(case) for case, _ in todo}
        new_terms: Counter[int] = Counter()
        for case, _ in todo:
            known = {int(t) for t in old[case.pk][1]} if case.pk in old else set()
            new_terms.update(set(terms[case.pk]) - known)
        firsts = sum(1 for case, _ in todo if case.pk not in old)
        _add_frequencies(tenant_id, new_terms, firsts)
        df = _frequencies(tenant_id, {t for ts in terms.values() for t in ts})
        documents = _documents(tenant_id)
        ids = [case.pk for case, _ in todo]
        SimilarPosting.objects.filter(tenant_id=tenant_id, case_id__in=ids).delete()
        SimilarSignature.objects.filter(tenant_id=tenant_id, case_id__in=ids).delete()
        signatures, postings = [], []
        for case, digest in todo:
            vector = signature(terms[case.pk], df, documents)
            signatures.append(
                SimilarSignature(
                    tenant_id=tenant_id,
                    case_id=case.pk,
                    digest=digest,
                    indexed_at=now,
                    vector={str(t): round(w, 5) for t, w in vector.items()},
                )
            )
            postings += [
                SimilarPosting(
                    tenant_id=tenant_id,
                    term=t,
                    case_id=case.pk,
                    weight=round(w, 5),
                    created_at=case.created_at,
                )
                for t, w in list(vector.items())[:POSTING_TERMS]
            ]
        SimilarSignature.objects.bulk_create(signatures)
        SimilarPosting.objects.bulk_create(postings, batch_size=2000)
    return len(todo)


def similar_index_due(now: datetime, *, limit: int = MAX_PER_TURN) -> Iterator[str]:
    """The worker's job: indexes the cases marked since its last turn, BATCH a transaction,
    at most `limit` a turn. Marks are claimed with SKIP LOCKED, so any number of workers
    share them; one left by a worker that died is claimed by the next turn."""
    done = 0
    while done < limit:
        with transaction.atomic():
            claimed = list(
                SimilarDirty.objects.select_for_update(skip_locked=True)
                # Newest first: a burst of touched old cases (clocks recomputed) must not
                # keep a new case waiting behind it.
                .order_by("-case_id")
                .values_list("case_id", "tenant_id")[: min(BATCH, limit - done)]
            )
            if not claimed:
                break
            by_tenant: dict[int, list[int]] = defaultdict(list)
            for case_id, tenant_id in claimed:
                by_tenant[tenant_id].append(case_id)
            changed = sum(cases_index(tenant_id, ids, now) for tenant_id, ids in by_tenant.items())
            SimilarDirty.objects.filter(case_id__in=[c for c, _ in claimed]).delete()
        done += len(claimed)
        if changed:
            yield f"Similar cases: {changed} case(s) indexed"


@dataclass(frozen=True)
class RebuildReport:
    cases: int
    terms: int
    postings: int
    seconds: float


def _text_rows(tenant_id: int, chunk: int = 5_000) -> Iterator[Case]:
    """The tenant's cases with their text, in id order, one bounded page at a time (keyset
    paging: no server-side cursor, so it works inside or outside a transaction)."""
    last = 0
    while True:
        page = list(
            Case.objects.filter(tenant_id=tenant_id, pk__gt=last)
            .order_by("pk")
            .only(*TEXT_COLUMNS)[:chunk]
        )
        if not page:
            return
        yield from page
        last = page[-1].pk


def similar_rebuild(tenant: Tenant, now: datetime, *, batch: int = 5_000) -> RebuildReport:
    """Builds the tenant's index from scratch: one pass counts every case's terms, a second
    writes signatures and postings in batches (meanwhile answers come from what is built so
    far). Other tenants' rows are not touched; the tenant's marks are cleared, as this
    indexes every case."""
    started = time.perf_counter()
    df: Counter[int] = Counter()
    documents = 0
    for case in _text_rows(tenant.pk):
        df.update(case_terms(case).keys())
        documents += 1
    with transaction.atomic():
        SimilarPosting.objects.filter(tenant=tenant).delete()
        SimilarSignature.objects.filter(tenant=tenant).delete()
        SimilarTerm.objects.filter(tenant=tenant).delete()
        SimilarDirty.objects.filter(tenant=tenant).delete()
        SimilarTerm.objects.bulk_create(
            [SimilarTerm(tenant=tenant, term=t, df=n) for t, n in df.items()], batch_size=5000
        )
        SimilarIndexState.objects.update_or_create(
            tenant=tenant, defaults={"documents": documents, "built_at": now}
        )
    postings = 0
    signatures: list[tuple[int, str, dict[str, float]]] = []
    rows: list[tuple[int, int, int, float, datetime]] = []
    for case in _text_rows(tenant.pk):
        vector = signature(case_terms(case), df, documents)
        signatures.append(
            (case.pk, text_digest(case), {str(t): round(w, 5) for t, w in vector.items()})
        )
        rows += [
            (tenant.pk, t, case.pk, round(w, 5), case.created_at)
            for t, w in list(vector.items())[:POSTING_TERMS]
        ]
        if len(signatures) >= batch:
            postings += _write_batch(tenant.pk, signatures, rows, now)
            signatures, rows = [], []
    postings += _write_batch(tenant.pk, signatures, rows, now)
    if connection.vendor == "postgresql":
        # Millions of rows written at once: fresh statistics before the first query plans.
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {SimilarSignature._meta.db_table}, "
                f"{SimilarPosting._meta.db_table}, {SimilarTerm._meta.db_table}"
            )
    return RebuildReport(
        cases=documents, terms=len(df), postings=postings, seconds=time.perf_counter() - started
    )


def _write_batch(
    tenant_id: int,
    signatures: list[tuple[int, str, dict[str, float]]],
    rows: list[tuple[int, int, int, float, datetime]],
    now: datetime,
) -> int:
    if not signatures:
        return 0
    with transaction.atomic():
        # A case made during the build may have been indexed by the worker meanwhile.
        ids = [case_id for case_id, _, _ in signatures]
        SimilarPosting.objects.filter(tenant_id=tenant_id, case_id__in=ids).delete()
        SimilarSignature.objects.filter(tenant_id=tenant_id, case_id__in=ids).delete()
        if connection.vendor == "postgresql":
            _copy(
                SimilarSignature._meta.db_table,
                ("tenant_id", "case_id", "digest", "vector", "indexed_at"),
                [
                    (tenant_id, case_id, digest, _json(vector), now)
                    for case_id, digest, vector in signatures
                ],
            )
            _copy(
                SimilarPosting._meta.db_table,
                ("tenant_id", "term", "case_id", "weight", "created_at"),
                rows,
            )
        else:
            SimilarSignature.objects.bulk_create(
                [
                    SimilarSignature(
                        tenant_id=tenant_id,
                        case_id=case_id,
                        digest=digest,
                        vector=vector,
                        indexed_at=now,
                    )
                    for case_id, digest, vector in signatures
                ],
                batch_size=500,
            )
            SimilarPosting.objects.bulk_create(
                [
                    SimilarPosting(tenant_id=t, term=term, case_id=c, weight=w, created_at=at)
                    for t, term, c, w, at in rows
                ],
                batch_size=2000,
            )
    return len(rows)


def _json(vector: Mapping[str, float]) -> str:
    return json.dumps(vector, separators=(",", ":"))


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """PostgreSQL's COPY: a bulk build writes millions of postings, ten times faster than
    INSERTs. Table and column names are the models' own, never input."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, which speaks COPY
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def similar_catch_up(tenant: Tenant, now: datetime, *, batch: int = BATCH) -> int:
    """Indexes the tenant's cases that have no signature yet (written around the services,
    or before the index existed), BATCH a transaction; returns how many."""
    done, last = 0, 0
    while True:
        ids = list(
            Case.objects.filter(tenant=tenant, pk__gt=last)
            .exclude(pk__in=SimilarSignature.objects.filter(tenant=tenant).values("case_id"))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        done += cases_index(tenant.pk, ids, now)
        last = ids[-1]
