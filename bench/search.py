"""`search_p50_1m`, `search_p99_1m` (ms): the search box over the 1,000,000-case tenant
(`bench-1m`) with 5,000,000 notes, in-process through `search.selectors.search` (what the
page and `GET /api/v1/search` call), as one of its agents.

**Notes.** The bulk load makes cases without notes. `ensure_notes` gives the tenant
NOTES_PER_CASE notes per case, once (it tops up to NOTES_TARGET), set-based: one INSERT …
SELECT over the cases and generate_series, the notes' text drawn from phrase lists by a hash
of the case and the note's position, so words are spread as in a real desk (a few very
common, most rare), with people's names, their addresses on public replies, product codes,
versions and a reference number each. The notes' secondary indexes (the search's GIN index
among them) are dropped first and built once afterwards, in the same transaction.

**Queries.** QUERY_MIX, drawn in turn: rare words, names, addresses (`from:`), case numbers,
a common word, phrases, operators (status, owner:me, queue), exclusions. Each is a real
search of a page of 20 with its facets and snippets.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connection, transaction

from bench.loader import log

if TYPE_CHECKING:
    from bench.loader import BenchTenant
    from bench.results import Report

NOTES_PER_CASE = 5
NOTES_TARGET = 5_000_000
WARMUP = 40
CALLS = 400

OPENERS = (
    "Customer reports that", "Spoke with", "Checked the logs:", "Following up:",
    "Escalated to engineering because", "Internal: do not share yet,", "Reply from customer:",
    "Reproduced on staging;", "Waiting on the vendor, meanwhile", "Summary of the call:",
    "Workaround sent:", "Second line says", "Billing confirms", "Could not reproduce;",
)
PROBLEMS = (
    "the printer jams on the second page", "invoices are duplicated after the nightly export",
    "the password reset mail never arrives", "single sign-on loops back to the login page",
    "the mobile app crashes when uploading a photo", "reports time out for the last quarter",
    "the API returns 502 under load", "the webhook signature does not verify",
    "CSV import drops rows with accents", "the dashboard shows yesterday's numbers",
    "two-factor codes are rejected", "attachments over 10 MB fail silently",
    "the calendar sync skips recurring meetings", "the refund was charged twice",
    "search results miss archived projects", "emails land in the spam folder",
    "the license count is wrong after renewal", "the VPN drops every ten minutes",
    "the barcode scanner is not detected", "onboarding checklist items reappear",
)
DETAILS = (
    "Version 4.2 on Windows 11.", "Happens only in Firefox.", "Started after the upgrade.",
    "Affects the whole finance team.", "Customer is on the Enterprise plan.",
    "Logs attached to the ticket.", "Same as last week's incident.", "Priority agreed with CSM.",
    "Firmware 2.0.17 installed.", "Only on the EU cluster.", "Since the DNS change.",
    "macOS Sonoma, Safari 17.", "Proxy in front of the gateway.", "Kubernetes node pool b.",
)
FIRST = ("Maria", "Jonas", "Aiko", "Pedro", "Fatima", "Olga", "Liam", "Chen", "Noor", "Tomas",
         "Ines", "Kwame", "Sofia", "Rahul", "Elena", "Yusuf")
LAST = ("Jensen", "Okafor", "Tanaka", "Silva", "Haddad", "Novak", "Murphy", "Wang", "Khan",
        "Berg", "Costa", "Mensah", "Rossi", "Patel", "Ivanova", "Demir")
PRODUCTS = ("PX-200", "PX-300", "Hub Mini", "Gateway X", "Ledger Pro", "Sync Agent", "Scan 9")

# The query mix: (text, what it stands for). `{number}`, `{email}` and `{ref}` are filled
# from the data, so they always find something.
QUERY_MIX = (
    ("barcode scanner", "two words, uncommon"),
    ("{ref}", "a rare reference"),
    ("Okafor", "a name"),
    ("from:{email}", "an address"),
    ("#{number}", "a case number"),
    ("printer", "a common word"),
    ('"password reset mail"', "a phrase"),
    ("refund status:unresolved", "a word and a status group"),
    ("webhook owner:me", "a word and owner:me"),
    ("firmware -windows", "an exclusion"),
    ("Tanaka vpn", "a name and a word"),
    ("status:open queue:Support", "operators only"),
)


def ensure_notes(bench: BenchTenant) -> float | None:
    """Tops the tenant up to NOTES_TARGET notes (NOTES_PER_CASE a case); seconds taken, or
    None when they were there."""
    tenant_id = bench.tenant.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_note WHERE tenant_id = %s", [tenant_id])
        have = cursor.fetchone()[0]
    if have >= NOTES_TARGET * 0.95:
        log(f"{bench.tenant.slug}: reusing {have:,} notes")
        return None
    per_case = NOTES_PER_CASE
    started = time.perf_counter()
    log(f"{bench.tenant.slug}: adding {per_case} notes per case (have {have:,})")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("""
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = 'cases_note'::regclass AND NOT x.indisprimary""")
        rebuild = cursor.fetchall()
        for name, _definition in rebuild:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(_NOTES_SQL, {
            "tenant": tenant_id, "per_case": per_case, "agents": bench.agent_ids,
            "n_agents": len(bench.agent_ids), "openers": list(OPENERS),
            "n_openers": len(OPENERS), "problems": list(PROBLEMS), "n_problems": len(PROBLEMS),
            "details": list(DETAILS), "n_details": len(DETAILS), "first": list(FIRST),
            "last": list(LAST), "n_names": len(FIRST), "products": list(PRODUCTS),
            "n_products": len(PRODUCTS)})
        log(f"  {cursor.rowcount:,} notes in {time.perf_counter() - started:.0f} s; "
            f"rebuilding {len(rebuild)} indexes")
        for _name, definition in rebuild:
            cursor.execute(definition)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cases_note")
    elapsed = time.perf_counter() - started
    log(f"  notes ready in {elapsed:.0f} s")
    return elapsed


def ensure_index(bench: BenchTenant) -> float | None:
    """Indexes what the bulk loads wrote without the search triggers (they run as a
    replica); seconds taken, or None when nothing was missing. Many missing rows: the
    search table's indexes are dropped and built once afterwards, in the same transaction."""
    from casedesk.search.index import (
        DOCUMENT_TABLE,
        POSTGRES_INDEX_NAMES,
        POSTGRES_INDEXES,
        backfill_postgres,
        prune_postgres,
        run,
    )

    tenant_id = bench.tenant.pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DOCUMENT_TABLE} WHERE tenant_id = %s "
                       "AND source IN ('case', 'note')", [tenant_id])
        indexed = cursor.fetchone()[0]
        cursor.execute("SELECT (SELECT count(*) FROM cases_case WHERE tenant_id = %s) + "
                       "(SELECT count(*) FROM cases_note WHERE tenant_id = %s)",
                       [tenant_id, tenant_id])
        rows = cursor.fetchone()[0]
    if indexed == rows:
        log(f"{bench.tenant.slug}: search index complete ({indexed:,} rows)")
        return None
    started = time.perf_counter()
    log(f"{bench.tenant.slug}: indexing {rows - indexed:,} rows for search")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        rebuild = rows - indexed > 100_000
        if rebuild:
            cursor.execute("DROP INDEX IF EXISTS " + ", ".join(POSTGRES_INDEX_NAMES))
        run(cursor, [*prune_postgres(), *backfill_postgres(tenant_id)])
        if rebuild:
            run(cursor, POSTGRES_INDEXES)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {DOCUMENT_TABLE}")
    elapsed = time.perf_counter() - started
    log(f"  search index ready in {elapsed:.0f} s")
    return elapsed


# h: a hash of the case and the note's position, spreading the phrases without random().
_NOTES_SQL = """
INSERT INTO cases_note (tenant_id, case_id, author_id, body, is_public, author_email,
                        author_name, quoted, created_at)
SELECT c.tenant_id, c.id,
       CASE WHEN k %% 3 = 0 THEN NULL ELSE (%(agents)s::bigint[])[1 + h %% %(n_agents)s] END,
       (%(openers)s::text[])[1 + h %% %(n_openers)s] || ' '
       || (%(first)s::text[])[1 + (h / 7) %% %(n_names)s] || ' '
       || (%(last)s::text[])[1 + (h / 11) %% %(n_names)s] || ': '
       || (%(problems)s::text[])[1 + (h / 13) %% %(n_problems)s] || ' with the '
       || (%(products)s::text[])[1 + (h / 17) %% %(n_products)s] || '. '
       || (%(details)s::text[])[1 + (h / 19) %% %(n_details)s]
       || ' Ref INC' || (c.id * 10 + k)::text || '.',
       k %% 3 = 0,
       CASE WHEN k %% 3 = 0 THEN coalesce(ct.email, '') ELSE '' END,
       CASE WHEN k %% 3 = 0 THEN coalesce(ct.name, '') ELSE '' END,
       '',
       c.created_at + make_interval(hours => k * 5)
FROM cases_case c
LEFT JOIN crm_contact ct ON ct.id = c.contact_id
CROSS JOIN generate_series(1, %(per_case)s) AS k
CROSS JOIN LATERAL (SELECT abs(hashint8(c.id * 16 + k))::bigint AS h) AS hashed
WHERE c.tenant_id = %(tenant)s
"""


def _samples(bench: BenchTenant) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.number, c.id, ct.email FROM cases_case c JOIN crm_contact ct "
            "ON ct.id = c.contact_id WHERE c.tenant_id = %s ORDER BY c.id DESC LIMIT 1 "
            "OFFSET 5000", [bench.tenant.pk])
        number, case_id, email = cursor.fetchone()
    return {"number": str(number), "email": email, "ref": f"INC{case_id * 10 + 2}"}


def run_search(report: Report, bench: BenchTenant | None,
               settle: Callable[[str], None]) -> None:
    if bench is None:
        report.skipped.append("search_1m: needs the 1,000,000-case tenant on PostgreSQL")
        log("search: skipped (no 1,000,000-case tenant)")
        return
    from casedesk.search.selectors import Scope, search
    from casedesk.tenancy.models import Membership

    seconds = ensure_notes(bench)
    if seconds is not None:
        report.details["search_notes_load_s"] = round(seconds, 1)
    seconds = ensure_index(bench)
    if seconds is not None:
        report.details["search_index_catch_up_s"] = round(seconds, 1)
    membership = Membership.objects.select_related("tenant", "user").get(
        tenant=bench.tenant, user_id=bench.me)
    scope = Scope.of_member(membership)
    values = _samples(bench)
    queries = [(text.format(**values), kind) for text, kind in QUERY_MIX]
    settle("search_1m")
    for k in range(WARMUP):
        search(scope, queries[k % len(queries)][0])
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for k in range(CALLS):
        text, kind = queries[k % len(queries)]
        started = time.perf_counter()
        search(scope, text)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    report.details["search_1m_by_query_p50_ms"] = {
        kind: round(statistics.median(values), 1) for kind, values in by_kind.items()}
    report.add("search_p50_1m", p50, "ms")
    report.add("search_p99_1m", p99, "ms")
