"""`routing_predicted_decision_p50` / `_p99` (ms): what routing a new case costs when an
enabled rule tests the triage model's prediction (`predicted.category equals Billing and
predicted.category_confidence gte 0.8`), against `routing_plain_decision_p50`, the same
decision with the tenant's rules testing no prediction (the model is then not asked).

**Data.** A tenant (`bench-triage-routing`) with CASES resolved synthetic cases
(`assist.synthetic.history_write`, seed SEED), written once and reused, and a model trained
on them once per run. The new cases are the facts of the texts of the tenant's newest cases
(no category given, as mail or a form brings them).

**Measured.** `routing.services.decide` in-process, what case creation pays before its
transaction: the rules (compiled and cached per process), the model's predictions when a
rule wants them (`assist` registers its predictor; the model is deserialised once per
process), the queue lookup. The rule is added in a transaction rolled back afterwards.
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
    from casedesk.routing.rules import CaseFacts
    from casedesk.tenancy.models import Tenant

SLUG = "bench-triage-routing"
CASES = 5_000
SEED = 19
WARMUP = 30
CALLS = 500


class _RolledBack(Exception):
    """Leaves the bench's rule out of the database."""


def _tenant() -> Tenant:
    from casedesk.assist.synthetic import history_write
    from casedesk.cases.models import Case
    from casedesk.ops.provisioning import tenant_create
    from casedesk.tenancy.models import Tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        tenant = tenant_create(
            slug=SLUG, name="Bench triage routing", admin_email="admin@triage-routing.invalid"
        )
    if not Case.objects.filter(tenant=tenant).exists():
        log(f"{SLUG}: writing {CASES:,} synthetic cases")
        history_write(tenant, n=CASES, seed=SEED, now=datetime.now(UTC), open_share=0.0)
    return tenant


def _timed(tenant: Tenant, inputs: list[CaseFacts]) -> list[float]:
    from casedesk.routing.services import decide

    for facts in inputs[:WARMUP]:
        decide(tenant, facts)
    times = []
    for facts in inputs[WARMUP:]:
        began = time.perf_counter()
        decide(tenant, facts)
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times)


def run_triage_routing(report: Report, settle: Callable[[str], None]) -> None:
    from django.db import transaction

    from casedesk.assist import training
    from casedesk.cases.models import Case
    from casedesk.core import clock
    from casedesk.routing.models import Queue
    from casedesk.routing.rules import CaseFacts
    from casedesk.routing.services import RuleInput, decide, rule_create

    tenant = _tenant()
    model = training.train(tenant, now=clock.now(), trigger="bench")
    if not model.usable:
        report.skipped.append(f"routing_predicted_decision: no usable model ({model.reason})")
        return
    rows = (
        Case.objects.filter(tenant=tenant)
        .order_by("-number")
        .values_list("subject", "description", "source")[: WARMUP + CALLS]
    )
    inputs = [CaseFacts(subject=s, description=d, source=src) for s, d, src in rows]

    settle("routing_plain_decision")
    plain = _timed(tenant, inputs)
    finance = Queue.objects.filter(tenant=tenant, name="Finance").first()
    routed = 0
    try:
        with transaction.atomic():
            rule_create(
                tenant=tenant,
                now=clock.now(),
                position=0,
                data=RuleInput(
                    name="Confident billing to Finance",
                    actions={"queue_id": finance.pk} if finance else {"tags": ["billing"]},
                    conditions=[
                        {"field": "predicted.category", "op": "equals", "value": "Billing"},
                        {"field": "predicted.category_confidence", "op": "gte", "value": 0.8},
                    ],
                ),
            )
            tenant.refresh_from_db(fields=["routing_version"])
            settle("routing_predicted_decision")
            predicted = _timed(tenant, inputs)
            routed = sum(
                1
                for facts in inputs[WARMUP:]
                if (route := decide(tenant, facts)).rule is not None and route.via == "rule"
            )
            raise _RolledBack
    except _RolledBack:
        pass
    tenant.refresh_from_db(fields=["routing_version"])
    report.details["routing_predicted_decision"] = {
        "cases": CASES,
        "model_version": model.version,
        "routed_by_the_predicted_rule": f"{routed} of {CALLS}",
    }
    log(f"  predicted rule routed {routed} of {CALLS} new cases")
    report.add("routing_plain_decision_p50", statistics.median(plain), "ms")
    report.add("routing_predicted_decision_p50", statistics.median(predicted), "ms")
    report.add("routing_predicted_decision_p99", predicted[int(len(predicted) * 0.99) - 1], "ms")
