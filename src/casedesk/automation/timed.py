"""Time rules: "N hours after X, if the conditions still hold".

The worker sweeps each enabled time rule set-based: one indexed range query finds the cases
whose anchor time (created, entered their status, resolved, …) plus the rule's wait fell
between the rule's last sweep and now, narrowed in SQL by the status the conditions ask for;
the rest of the conditions are checked on those cases only, so the cost follows the cases
falling due, not the cases open. Each case due makes one `AutomationEvent` for (rule, case,
anchor time) — unique, so a second worker sweeping at the same moment makes nothing more —
and the engine runs the rule when it takes the event in (checking the conditions again then).

A rule fires once per case and occurrence: a case that enters `pending_customer` again later
has a new anchor time, and so a new occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from casedesk.automation.models import AutomationEvent, AutomationRule
from casedesk.automation.rules import ANCHORS, Rule, compiled_conditions, rule_of
from casedesk.cases.models import Case
from casedesk.core.errors import DomainError
from casedesk.routing.rules import Condition
from casedesk.routing.services import facts_of_case

# Anchor times a little older than the last sweep are looked at again, for a change that
# committed after a sweep that ran while it was in flight; the unique event keeps it once.
OVERLAP = timedelta(minutes=10)
BATCH = 2000


@dataclass
class SweepReport:
    rules: int = 0
    due: int = 0

    def summary(self) -> str:
        return f"{self.due} case(s) fell due for {self.rules} time rule(s)"


def _status_filter(rule: Rule) -> Q:
    """The part of the conditions SQL can use: the status they ask for (all must hold)."""
    if not rule.match_all:
        return Q()
    q = Q()
    for c in rule.conditions:
        q &= _status_q(c)
    return q


def _in_sql(c: Condition) -> bool:
    return c.field == "status" and c.op in ("equals", "in", "not_equals", "not_in")


def _status_q(c: Condition) -> Q:
    if c.field != "status":
        return Q()
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    if c.op in ("equals", "in"):
        return Q(status__in=[str(v).lower() for v in values])
    if c.op in ("not_equals", "not_in"):
        return ~Q(status__in=[str(v).lower() for v in values])
    return Q()


def sweep_rule(row: AutomationRule, now: datetime) -> int:
    """Records the cases that fell due for one time rule since its last sweep; how many."""
    rule = rule_of(row)
    column = ANCHORS[str(rule.options["anchor"])]
    since = max(row.swept_until or row.enabled_at or row.created_at,
                row.enabled_at or row.created_at)
    newest = now - rule.after
    oldest = since - rule.after - OVERLAP
    # Nothing fell due before the rule was switched on.
    floor = (row.enabled_at or row.created_at) - rule.after
    oldest = max(oldest, floor)
    if newest <= oldest:
        return 0
    due = Case.objects.filter(_status_filter(rule), tenant_id=row.tenant_id,
                              **{f"{column}__gt": oldest, f"{column}__lte": newest}).order_by()
    if all(_in_sql(c) for c in rule.conditions) and (rule.match_all or not rule.conditions):
        # The SQL filter said everything: ids and times only, no case to build.
        found = due.values_list("pk", column).iterator(chunk_size=BATCH)
    else:
        predicate = compiled_conditions(rule).predicate
        found = ((case.pk, getattr(case, column))
                 for case in due.select_related("account", "contact").iterator(
                     chunk_size=BATCH)
                 if predicate(facts_of_case(case)))
    made = 0
    batch: list[AutomationEvent] = []
    for case_id, anchor in found:
        batch.append(AutomationEvent(
            tenant_id=row.tenant_id, case_id=case_id, kind="time", rule_id=row.pk,
            occurrence=anchor, created_at=now))
        if len(batch) >= BATCH:
            made += _write(batch)
            batch = []
    if batch:
        made += _write(batch)
    return made


def _write(batch: list[AutomationEvent]) -> int:
    AutomationEvent.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def time_rules_sweep(now: datetime, *, tenant_id: int | None = None) -> SweepReport:
    """Sweeps every enabled time rule that no other worker is sweeping right now."""
    report = SweepReport()
    rules = AutomationRule.objects.filter(trigger="time", is_enabled=True)
    if tenant_id is not None:
        rules = rules.filter(tenant_id=tenant_id)
    for rule_id in list(rules.values_list("pk", flat=True)):
        with transaction.atomic():
            locked = AutomationRule.objects.filter(pk=rule_id, is_enabled=True)
            if connection.features.has_select_for_update_skip_locked:
                locked = locked.select_for_update(skip_locked=True)
            row = locked.first()
            if row is None:
                continue
            try:
                report.due += sweep_rule(row, now)
            except DomainError:
                continue
            row.swept_until = now
            row.save(update_fields=["swept_until"])
            report.rules += 1
    return report
