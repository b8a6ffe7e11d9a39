"""`sla_sweep_1m_10k` and `sla_sweep_1m_0`: the breach sweep over 1,000,000 open cases.

The `bench-sla` tenant is loaded like the others, then turned into a desk where every case is
open and has its clocks running: pending-customer cases are paused (no due time), the rest
have a first-response due time one second apart in case-number order and a resolution due
time a month later. A sweep at an instant just past the 10,000th due time finds exactly
10,000 breaching cases; a sweep before the first finds none. Before each measured sweep the
marks, timeline events and notifications of the previous one are undone, so every run sees
the same desk. The sweep is the one `casedesk sla_sweep --tenant bench-sla` runs, in-process
(the other bench tenants' cases are not part of the figure).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection

from bench.loader import BenchTenant, crm_size, ensure_cases, ensure_tenant, log
from bench.results import Report
from casedesk.cases.models import Case, TimelineEvent
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.notifications.models import Notification

CASES = 1_000_000
BREACHING = 10_000
RUNS = 3
BASE = datetime(2030, 1, 1, tzinfo=UTC)  # due times start here, far from the real clock


def ensure_sla_tenant(*, reload: bool = False) -> BenchTenant:
    bench = ensure_tenant("bench-sla", "Bench SLA", crm_size(CASES))
    loaded = ensure_cases(bench, CASES, reload=reload)
    if loaded is not None or not _prepared(bench):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE cases_case SET
                    status = CASE WHEN status IN ('resolved', 'closed') THEN 'in_progress'
                                  ELSE status END,
                    resolved_at = NULL, closed_at = NULL, first_response_at = NULL,
                    first_response_due_at = CASE WHEN status = 'pending_customer' THEN NULL
                        ELSE %(base)s + number * interval '1 second' END,
                    resolution_due_at = CASE WHEN status = 'pending_customer' THEN NULL
                        ELSE %(base)s + interval '30 days' + number * interval '1 second' END,
                    first_response_breached_at = NULL, resolution_breached_at = NULL,
                    first_response_warn_at = NULL, resolution_warn_at = NULL
                WHERE tenant_id = %(tenant)s
                """,
                {"base": BASE, "tenant": bench.tenant.pk},
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) cases_case")
        log(
            f"bench-sla: clocks set on {CASES:,} open cases in "
            f"{time.perf_counter() - started:.1f} s"
        )
    return bench


def _prepared(bench: BenchTenant) -> bool:
    return (
        not Case.objects.filter(tenant=bench.tenant, status__in=("resolved", "closed")).exists()
        and Case.objects.filter(tenant=bench.tenant, first_response_due_at__isnull=False).exists()
    )


def _reset(bench: BenchTenant) -> None:
    """Undoes what a sweep wrote (marks, events, notifications); priorities stay raised,
    which changes nothing the sweep reads."""
    Case.objects.filter(tenant=bench.tenant, first_response_breached_at__isnull=False).update(
        first_response_breached_at=None
    )
    Case.objects.filter(tenant=bench.tenant, resolution_breached_at__isnull=False).update(
        resolution_breached_at=None
    )
    TimelineEvent.objects.filter(tenant=bench.tenant, kind="sla_breached").delete()
    Notification.objects.filter(tenant=bench.tenant, kind="sla_breach").delete()


def _timed_sweep(bench: BenchTenant, now: datetime) -> tuple[float, int]:
    started = time.perf_counter()
    report = sla_sweep(now=now, tenant=bench.tenant)
    return time.perf_counter() - started, len(report.cases)


def run_sla_sweep(report: Report, bench: BenchTenant) -> None:
    due_times = (
        Case.objects.filter(tenant=bench.tenant, first_response_due_at__isnull=False)
        .order_by("first_response_due_at")
        .values_list("first_response_due_at", flat=True)
    )
    tenth_thousand = due_times[BREACHING - 1]
    open_cases = Case.objects.filter(tenant=bench.tenant).count()
    quiet, busy = [], []
    for _ in range(RUNS):
        _reset(bench)
        seconds, found = _timed_sweep(bench, BASE - timedelta(seconds=1))
        assert found == 0, found
        quiet.append(seconds)
        seconds, found = _timed_sweep(bench, tenth_thousand + timedelta(microseconds=1))
        assert found == BREACHING, found
        busy.append(seconds)
    _reset(bench)
    report.add("sla_sweep_1m_0", statistics.median(quiet), "s")
    report.add("sla_sweep_1m_10k", statistics.median(busy), "s")
    report.details["sla_sweep"] = {
        "open_cases": open_cases,
        "breaching": BREACHING,
        "runs_0_s": quiet,
        "runs_10k_s": busy,
    }
