"""`whatif_sla_30d`, `whatif_routing_30d` (s): a policy what-if over the last 30 days of the
1,000,000-case tenant (`bench-1m`), in-process through `assist.whatif_runs` (what
`POST /api/v1/sla/policies/whatif`, `POST /api/v1/routing/rules/whatif` and the pages call).

SLA: the tenant's "Normal priority" policy with its first-response target halved, replayed
on every case created in the window (read, matched, counted again in business hours with
its pauses). Routing: one new rule (Billing to the Engineering queue) first among the
enabled rules. Each is run `RUNS` times; the median is the figure. Nothing is written.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.loader import log

if TYPE_CHECKING:
    from bench.loader import BenchTenant
    from bench.results import Report

RUNS = 3
DAYS = 30


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def run_whatif(report: Report, bench: BenchTenant | None, settle: Callable[[str], None]) -> None:
    if bench is None:
        report.skipped.append("whatif_sla_30d: needs the 1,000,000-case tenant")
        return
    from casedesk.assist import whatif_runs
    from casedesk.core import clock
    from casedesk.routing.models import Queue
    from casedesk.routing.services import RuleInput
    from casedesk.sla.models import SlaPolicy

    tenant = bench.tenant
    now = clock.now()
    normal = SlaPolicy.objects.filter(tenant=tenant, name="Normal priority").first()
    if normal is None:
        normal = SlaPolicy.objects.filter(tenant=tenant, is_enabled=True).first()
    if normal is None:
        report.skipped.append("whatif_sla_30d: the tenant has no SLA policy")
        return
    values = whatif_runs.sla_proposal(
        tenant=tenant,
        editing=normal,
        values={"first_response_minutes": max(1, normal.first_response_minutes // 2)},
    )
    cases = 0

    def sla() -> None:
        nonlocal cases
        result = whatif_runs.sla_whatif(
            tenant=tenant, values=values, editing=normal, position=None, days=DAYS, now=now
        )
        cases = result.report.cases

    settle("whatif_sla_30d")
    times = [_timed(sla) for _ in range(RUNS)]
    log(f"  whatif SLA: {cases:,} cases in the window, runs {[round(t, 2) for t in times]} s")
    report.details["whatif_sla_30d_cases"] = cases
    report.add("whatif_sla_30d", statistics.median(times), "s")

    engineering = Queue.objects.filter(tenant=tenant, is_active=True).order_by("pk").last()
    draft = RuleInput(
        name="Billing to the last queue",
        conditions=[{"field": "category", "op": "equals", "value": "Billing"}],
        actions={"queue_id": engineering.pk} if engineering is not None else {"tags": ["x"]},
    )
    specs = whatif_runs.rules_with_draft(tenant, draft, editing=None, position=0)

    def routing() -> None:
        whatif_runs.routing_whatif(tenant=tenant, specs=specs, days=DAYS, now=now)

    settle("whatif_routing_30d")
    times = [_timed(routing) for _ in range(RUNS)]
    report.add("whatif_routing_30d", statistics.median(times), "s")
