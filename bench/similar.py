"""`similar_cases_p50_1m`, `similar_cases_p99_1m` (ms): the five most similar earlier cases
of a case in the 1,000,000-case tenant (`bench-1m`), in-process through
`assist.similar.similar_cases` (what the case page's card and
`GET /api/v1/cases/{number}/similar` call), resolution notes included.

**Index.** The bulk load writes cases around the services, so the index is built once with
`similar_rebuild` (what `casedesk similar_index --tenant bench-1m` runs) when it does not
cover the tenant; its time is reported as `similar_index_build_1m` (s) the run it is made.

**Cases asked about.** CALLS cases drawn with a fixed seed from the newest tenth of the
tenant (a case being worked is recent, and "earlier" cases are then most of the tenant).
The bulk load's texts come from a few dozen subjects and descriptions, so every term has
tens of thousands of postings: the capped posting reads are always at their bound, the
worst case for this index.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.loader import log

if TYPE_CHECKING:
    from bench.loader import BenchTenant
    from bench.results import Report

WARMUP = 30
CALLS = 300
SEED = 18


def ensure_index(bench: BenchTenant) -> float | None:
    """Builds the tenant's similar-case index when it does not cover the tenant; seconds
    taken, or None when it was there."""
    from casedesk.assist.models import SimilarIndexState
    from casedesk.assist.similar import similar_rebuild
    from casedesk.cases.models import Case
    from casedesk.core import clock

    cases = Case.objects.filter(tenant=bench.tenant).count()
    state = SimilarIndexState.objects.filter(tenant=bench.tenant).first()
    if state is not None and state.built_at is not None and state.documents >= cases * 0.99:
        log(f"{bench.tenant.slug}: similar-case index complete ({state.documents:,} cases)")
        return None
    log(f"{bench.tenant.slug}: building the similar-case index over {cases:,} cases")
    report = similar_rebuild(bench.tenant, clock.now())
    log(f"  {report.postings:,} postings, {report.terms:,} terms in {report.seconds:.0f} s")
    return report.seconds


def run_similar(report: Report, bench: BenchTenant | None, settle: Callable[[str], None]) -> None:
    if bench is None:
        report.skipped.append("similar_1m: needs the 1,000,000-case tenant on PostgreSQL")
        log("similar: skipped (no 1,000,000-case tenant)")
        return
    from casedesk.assist.similar import similar_cases
    from casedesk.cases.models import Case

    seconds = ensure_index(bench)
    if seconds is not None:
        report.add("similar_index_build_1m", seconds, "s")
    tenant = bench.tenant
    top = (
        Case.objects.filter(tenant=tenant)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    )
    rng = random.Random(SEED)
    numbers = [top - rng.randrange(max(1, top // 10)) for _ in range(WARMUP + CALLS)]
    cases = {c.number: c for c in Case.objects.filter(tenant=tenant, number__in=numbers)}
    asked = [cases[n] for n in numbers if n in cases]
    settle("similar_cases_1m")
    for case in asked[:WARMUP]:
        similar_cases(tenant, case)
    times: list[float] = []
    found = 0
    for case in asked[WARMUP:]:
        started = time.perf_counter()
        found += len(similar_cases(tenant, case))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    report.details["similar_cases_1m_mean_found"] = round(found / max(1, len(times)), 2)
    report.add("similar_cases_p50_1m", statistics.median(times), "ms")
    report.add("similar_cases_p99_1m", times[min(len(times) - 1, int(len(times) * 0.99))], "ms")
