"""Automation's figures.

- `automation_eval_cost_pct`: what 100 enabled rules add to making a case. Cases are made
  in-process through `case_create` (routing, SLA clocks and timeline on) in a tenant of their
  own, first with no enabled rule, then with 100 enabled rules that each test the case
  (subject, category, priority, tags, account tier) and none of which matches, so the figure
  is the cost of hearing every event and deciding, not of acting. Rounds alternate to spread
  noise; the figure is (with − without) / without, in percent, of the median times.
- `time_trigger_sweep_1m` (s): the worker's sweep of one time rule ("24 hours after it
  entered its status") over the 1,000,000 open cases of the `bench-sla` tenant, of which
  10,000 fall due since the rule's last sweep; it records one event per case due. Median of 3.
- `time_trigger_sweep_1m_0` (s): the same sweep when none fell due.
- `time_trigger_fire_rate` (rules/s): the worker taking in 2,000 of those events and running
  the rule on each (a tag added, through the case services, with its timeline and run log).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection

from bench.loader import BenchTenant, log
from bench.results import Report
from casedesk.automation.engine import events_process
from casedesk.automation.models import AutomationEvent, AutomationRule, RuleRun
from casedesk.automation.timed import time_rules_sweep
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, TimelineEvent
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.services import tenant_bump_version

EVAL_SLUG = "bench-automation"
RULES = 100
ROUND = 300
ROUNDS = 4
SWEEP_RUNS = 3
DUE = 10_000
FIRED = 2_000
BASE = datetime(2030, 6, 1, tzinfo=UTC)
WAIT = timedelta(hours=24)


def _eval_tenant() -> Tenant:
    tenant = Tenant.objects.filter(slug=EVAL_SLUG).first()
    if tenant is None:
        tenant = tenant_create(slug=EVAL_SLUG, name="Bench automation",
                               admin_email="admin@bench-automation.test")
    AutomationRule.objects.filter(tenant=tenant).delete()
    AutomationRule.objects.bulk_create([
        AutomationRule(
            tenant=tenant, name=f"Rule {i}", trigger="case_created" if i % 2 else "field_changed",
            trigger_options={} if i % 2 else {"field": "priority"}, position=i,
            is_enabled=False, match="all",
            conditions=[{"field": "subject", "op": "contains", "value": f"never-{i}"},
                        {"field": "category", "op": "in", "value": ["Billing", "Technical"]},
                        {"field": "priority", "op": "gte", "value": 3},
                        {"field": "tags", "op": "contains", "value": f"tag-{i}"},
                        {"field": "account.tier", "op": "equals", "value": "Enterprise"}],
            actions=[{"kind": "set_fields", "tags_add": [f"rule-{i}"]}],
            created_at=BASE, updated_at=BASE)
        for i in range(RULES)])
    return tenant


def _switch(tenant: Tenant, on: bool) -> None:
    AutomationRule.objects.filter(tenant=tenant).update(is_enabled=on)
    tenant_bump_version(tenant, "automation_version")


def _make(tenant: Tenant, n: int, offset: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        case_create(tenant=tenant, actor=None, now=BASE + timedelta(seconds=offset + i),
                    data=CaseInput(subject=f"Printer {offset + i} jams", category="Technical",
                                   source="phone"))
    return (time.perf_counter() - started) / n


def run_eval_cost(report: Report) -> None:
    tenant = _eval_tenant()
    _make(tenant, 50, 0)  # warm caches: compiled routing, SLA policies, the tenant's rules
    without, with_rules = [], []
    for r in range(ROUNDS):
        _switch(tenant, False)
        without.append(_make(tenant, ROUND, (2 * r + 1) * ROUND))
        _switch(tenant, True)
        with_rules.append(_make(tenant, ROUND, (2 * r + 2) * ROUND))
    _switch(tenant, False)
    base, loaded = statistics.median(without), statistics.median(with_rules)
    made = Case.objects.filter(tenant=tenant).count()
    assert not RuleRun.objects.filter(tenant=tenant).exists(), "a bench rule matched"
    report.add("automation_eval_cost_pct", round((loaded - base) / base * 100, 1), "%")
    report.details["automation_eval"] = {
        "rules": RULES, "cases_per_round": ROUND, "rounds": ROUNDS,
        "ms_per_case_without": round(base * 1000, 3),
        "ms_per_case_with_100_rules": round(loaded * 1000, 3), "cases_in_tenant": made,
    }
    log(f"automation eval: {base * 1000:.2f} ms/case without rules, "
        f"{loaded * 1000:.2f} ms/case with {RULES}")


def _time_rule(bench: BenchTenant) -> AutomationRule:
    tenant = bench.tenant
    AutomationRule.objects.filter(tenant=tenant, trigger="time").update(is_enabled=False)
    rule, _ = AutomationRule.objects.update_or_create(
        tenant=tenant, name="Bench: a day in the same status",
        defaults={"trigger": "time", "trigger_options": {"anchor": "status_changed",
                                                         "hours": 24},
                  "conditions": [{"field": "status", "op": "in",
                                  "value": ["new", "open", "in_progress"]}],
                  "actions": [{"kind": "set_fields", "tags_add": ["waited-a-day"]}],
                  "is_enabled": True, "enabled_at": BASE - timedelta(days=30),
                  "created_at": BASE, "updated_at": BASE})
    tenant_bump_version(tenant, "automation_version")
    return rule


def _prepare_anchors(bench: BenchTenant) -> None:
    """Every open case entered its status a second after the one before it (by number), and
    the cases in pending_customer long before, so exactly the first DUE fall due."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE cases_case SET status_changed_at = CASE
                WHEN status IN ('new', 'open', 'in_progress')
                    THEN %(base)s + number * interval '1 second'
                ELSE %(base)s - interval '400 days' END
            WHERE tenant_id = %(tenant)s
            """,
            {"base": BASE, "tenant": bench.tenant.pk},
        )
        cursor.execute("VACUUM (ANALYZE) cases_case")


def _reset(bench: BenchTenant, rule: AutomationRule) -> None:
    AutomationEvent.objects.filter(tenant=bench.tenant).delete()
    RuleRun.objects.filter(tenant=bench.tenant).delete()
    TimelineEvent.objects.filter(tenant=bench.tenant, kind="automation").delete()
    AutomationRule.objects.filter(pk=rule.pk).update(swept_until=BASE + WAIT)


def run_time_sweep(report: Report, bench: BenchTenant) -> None:
    rule = _time_rule(bench)
    started = time.perf_counter()
    _prepare_anchors(bench)
    log(f"bench-sla: anchors set in {time.perf_counter() - started:.1f} s")
    open_due = (Case.objects.filter(tenant=bench.tenant, status__in=["new", "open",
                                                                     "in_progress"])
                .order_by("status_changed_at").values_list("status_changed_at", flat=True))
    last_due = open_due[DUE - 1] + WAIT
    busy, quiet = [], []
    for _ in range(SWEEP_RUNS):
        _reset(bench, rule)
        began = time.perf_counter()
        found = time_rules_sweep(BASE + WAIT - timedelta(hours=1), tenant_id=bench.tenant.pk)
        quiet.append(time.perf_counter() - began)
        assert found.due == 0, found
        _reset(bench, rule)
        began = time.perf_counter()
        found = time_rules_sweep(last_due + timedelta(microseconds=1),
                                 tenant_id=bench.tenant.pk)
        busy.append(time.perf_counter() - began)
        assert found.due == DUE, found
    began = time.perf_counter()
    ran = 0
    while ran < FIRED:
        done = events_process(last_due + timedelta(seconds=1), limit=min(500, FIRED - ran))
        if not done:
            break
        ran += done
    fire_s = time.perf_counter() - began
    report.add("time_trigger_sweep_1m", round(statistics.median(busy), 3), "s")
    report.add("time_trigger_sweep_1m_0", round(statistics.median(quiet), 3), "s")
    report.add("time_trigger_fire_rate", round(ran / fire_s, 1), "rules/s")
    report.details["time_trigger"] = {
        "open_cases": Case.objects.filter(tenant=bench.tenant).count(), "due": DUE,
        "runs_due_s": busy, "runs_none_s": quiet, "fired": ran, "fire_s": round(fire_s, 2),
    }
    _reset(bench, rule)
    Case.objects.filter(tenant=bench.tenant, tags__contains=["waited-a-day"]).update(tags=[])
    AutomationRule.objects.filter(pk=rule.pk).update(is_enabled=False)
