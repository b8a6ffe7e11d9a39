"""`train_100k` (s) and `triage_predict_p50` / `triage_predict_p99` (ms): the triage model of
a tenant (`bench-triage`) with 100,000 resolved synthetic cases.

**Data.** `assist.synthetic.history_write` (seed SEED), all cases resolved or closed, with
their notes; written once and reused while the tenant holds exactly that many cases (the
load time is logged, not a figure).

**train_100k.** One `assist.training.train` run, what `casedesk train` and the worker do:
reading the cases, measuring every target on the newest fifth, fitting on all of them, the
blob written. Its held-out accuracies and the blob's size go to the details.

**triage_predict.** `assist.training.suggest` (what the case page, the API and routing's
`predicted.*` conditions call) for CALLS inputs made of the texts and fields of the tenant's
newest cases, after WARMUP calls (the model deserialised and cached, as in a running web
process); each call includes the query for the newest version and the picklist and queue
checks.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.loader import log

if TYPE_CHECKING:
    from bench.results import Report
    from casedesk.tenancy.models import Tenant

SLUG = "bench-triage"
CASES = 100_000
SEED = 18
WARMUP = 30
CALLS = 500


def ensure_history(*, reload: bool = False) -> tuple[Tenant, float | None]:
    """The bench tenant with exactly CASES synthetic cases (written again with `reload`);
    (tenant, load seconds or None)."""
    from bench.loader import delete_cases
    from casedesk.assist.synthetic import history_write
    from casedesk.cases.models import Case
    from casedesk.cases.numbering import case_numbers_prepare
    from casedesk.ops.provisioning import tenant_create
    from casedesk.tenancy.models import Tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        tenant = tenant_create(
            slug=SLUG, name="Bench triage", admin_email="admin@triage.bench.invalid"
        )
    have = Case.objects.filter(tenant=tenant).count()
    if have == CASES and not reload:
        log(f"{SLUG}: reusing {have:,} synthetic cases")
        return tenant, None
    if have:
        delete_cases(tenant)
        case_numbers_prepare(tenant)
    log(f"{SLUG}: writing {CASES:,} synthetic cases")
    report = history_write(tenant, n=CASES, seed=SEED, now=datetime.now(UTC), open_share=0.0)
    log(f"  {report.cases:,} cases, {report.notes:,} notes in {report.seconds:.0f} s")
    return tenant, report.seconds


def run_assist(report: Report, settle: Callable[[str], None], *, reload: bool = False) -> None:
    from casedesk.assist import training
    from casedesk.assist.training import TriageInput
    from casedesk.cases.models import Case
    from casedesk.core import clock

    tenant, loaded = ensure_history(reload=reload)
    if loaded is not None:
        report.details["triage_history_load_s"] = round(loaded, 1)
    settle("train_100k")
    started = time.perf_counter()
    model = training.train(tenant, now=clock.now(), trigger="bench")
    report.add("train_100k", time.perf_counter() - started, "s")
    report.details["train_100k"] = {
        "version": model.version,
        "trained_on": model.trained_on,
        "held_out": model.held_out,
        "blob_bytes": len(model.blob),
        "accuracy": {t: s["accuracy"] for t, s in model.scores.items()},
        "baseline": {t: s["baseline"] for t, s in model.scores.items()},
    }
    log(f"  model v{model.version}: {len(model.blob) / 1e6:.1f} MB, scores {model.scores}")
    rows = (
        Case.objects.filter(tenant=tenant)
        .order_by("-number")
        .values_list("subject", "description", "source")[: WARMUP + CALLS]
    )
    inputs = [TriageInput(subject=s, description=d, source=src) for s, d, src in rows]
    for data in inputs[:WARMUP]:
        training.suggest(tenant, data)
    settle("triage_predict")
    times = []
    for data in inputs[WARMUP:]:
        began = time.perf_counter()
        training.suggest(tenant, data)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    report.add("triage_predict_p50", statistics.median(times), "ms")
    report.add("triage_predict_p99", times[int(len(times) * 0.99) - 1], "ms")
