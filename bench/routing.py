"""`routing_decision_p50`: what routing a new case costs with 200 rules, in-process.

The rules are the kind a tenant two years in has: conditions on category, subcategory,
priority, source, language, account tier/territory, words in the text, custom fields, tags;
most test one or two facts. The cases are real rows of the 10k tenant. Two figures:
`routing_decision_p50`/`_p99` time `routing.services.decide` (rules plus the queue lookup it
makes, the cost case creation pays) and `routing_rules_eval_p50` the pure rule evaluation.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from django.db import transaction

from bench.loader import BenchTenant, log
from bench.results import Report, percentile
from casedesk.cases.models import Case
from casedesk.routing import services as routing
from casedesk.routing.models import Queue, RoutingRule
from casedesk.routing.rules import first_match
from casedesk.tenancy.models import Tenant

RULES = 200
SAMPLES = 2000
WORDS = (
    "outage",
    "refund",
    "invoice",
    "gdpr",
    "sso",
    "api key",
    "crash",
    "chargeback",
    "renewal",
    "migration",
    "timeout",
    "webhook",
    "export",
    "password",
    "discount",
)


def _rule(rng: random.Random, i: int, queue_ids: list[int]) -> routing.RuleInput:
    pool = [
        {
            "field": "category",
            "op": "equals",
            "value": rng.choice(["Billing", "Technical", "Account", "General", "Onboarding"]),
        },
        {
            "field": "subcategory",
            "op": "in",
            "value": rng.sample(
                ["Invoice", "Refund", "Login", "Performance", "Integration", "Access"], 2
            ),
        },
        {
            "field": "priority",
            "op": rng.choice(["gte", "equals"]),
            "value": rng.choice(["high", "urgent"]),
        },
        {"field": "source", "op": "equals", "value": rng.choice(["email", "web", "portal"])},
        {"field": "language", "op": "in", "value": rng.sample(["de", "fr", "es", "ja"], 2)},
        {
            "field": "account.tier",
            "op": "equals",
            "value": rng.choice(["Enterprise", "Premium", "SMB"]),
        },
        {
            "field": "account.territory",
            "op": "equals",
            "value": rng.choice(["EMEA", "APAC", "NA", "LATAM"]),
        },
        {"field": "text", "op": "contains", "value": rng.sample(WORDS, 2)},
        {"field": "custom.seats", "op": "gt", "value": rng.choice([50, 500, 5000])},
        {"field": "tags", "op": "contains", "value": rng.choice(["vip", "renewal", "beta"])},
    ]
    conditions: list[object] = list(rng.sample(pool, rng.choice([2, 2, 3])))
    return routing.RuleInput(
        name=f"bench rule {i}", conditions=conditions, actions={"queue_id": rng.choice(queue_ids)}
    )


def ensure_rules(tenant: Tenant) -> None:
    """The tenant's 200 rules (made once through the rule services)."""
    if RoutingRule.objects.filter(tenant=tenant).count() == RULES:
        return
    rng = random.Random(42)
    queue_ids = list(Queue.objects.filter(tenant=tenant).values_list("pk", flat=True))
    now = datetime.now(UTC)
    with transaction.atomic():
        RoutingRule.objects.filter(tenant=tenant).delete()
        for i in range(RULES):
            routing.rule_create(tenant=tenant, now=now, data=_rule(rng, i, queue_ids))


def run_routing_decision(report: Report, bench: BenchTenant) -> None:
    tenant = Tenant.objects.get(pk=bench.tenant.pk)
    ensure_rules(tenant)
    tenant.refresh_from_db()
    cases = list(
        Case.objects.filter(tenant=tenant)
        .select_related("account", "contact")
        .order_by("-id")[:SAMPLES]
    )
    facts = [routing.facts_of_case(c) for c in cases]
    rules = routing.compiled_rules(tenant)
    assert len(rules) == RULES, len(rules)
    for f in facts[:100]:  # warm-up
        routing.decide(tenant, f)
    decide_us, eval_us, matched = [], [], 0
    for f in facts:
        start = time.perf_counter()
        routing.decide(tenant, f)
        decide_us.append((time.perf_counter() - start) * 1e6)
        start = time.perf_counter()
        hit = first_match(rules, f)
        eval_us.append((time.perf_counter() - start) * 1e6)
        matched += hit is not None
    report.add("routing_decision_p50", percentile(decide_us, 50), "us")
    report.add("routing_decision_p99", percentile(decide_us, 99), "us")
    report.add("routing_rules_eval_p50", percentile(eval_us, 50), "us")
    report.details["routing_decision"] = {
        "rules": RULES,
        "cases": len(facts),
        "matched_a_rule": matched,
        "rules_eval_p99_us": percentile(eval_us, 99),
    }
    log(f"routing: {matched} of {len(facts)} cases matched one of {RULES} rules")
