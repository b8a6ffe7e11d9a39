"""Running a what-if for the API and the pages: the proposal checked as saving it would be
(the same services' checks, so the same refusals), put in place among the tenant's enabled
policies or rules, replayed on the window's cases (`assist.whatif`) and presented as plain
values both the API and the pages show. Nothing is ever written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casedesk.assist import whatif, whatif_reads
from casedesk.assist.whatif import NEW_POLICY_ID, OwnerKey, PolicyChoice, TargetTally
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.routing.models import RoutingRule
from casedesk.routing.rules import (
    RuleSpec,
    compile_rule,
    compile_rules,
    parse_actions,
    parse_conditions,
)
from casedesk.routing.selectors import enabled_position
from casedesk.routing.services import RuleInput, rule_spec_from_input
from casedesk.sla import policies
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.selectors import member_names

STRATEGY_NOTE = (
    "Owners are replayed where history allows: a rule's direct owner, or the case's first "
    "owner when it stays in the queue it went to. A case moved to a queue whose strategy picks "
    "the agent is counted as \u201cpicked by the queue's strategy\u201d (the pick depended on "
    "the agents' load at the time); a manual queue leaves it unassigned."
)
SLA_NOTE = (
    "Cases are matched again with the proposal in place among the enabled policies; the "
    "cases it applies to, and those that had the policy it edits, have their targets counted "
    "again from creation in business hours, holidays and their recorded pauses. \u201cActual"
    "\u201d is the record: breaches marked, or clocks still running past their due time."
)


def check_days(days: int) -> int:
    if isinstance(days, bool) or not 1 <= days <= whatif_reads.MAX_DAYS:
        raise Invalid(f"days is between 1 and {whatif_reads.MAX_DAYS}.", field="days")
    return days


def _window_out(seen: whatif_reads.Window, days: int, cases: int) -> dict[str, Any]:
    return {
        "days": days,
        "since": seen.since,
        "until": seen.until,
        "cases": cases,
        "capped": seen.capped,
        "cap": whatif_reads.CASE_CAP,
    }


# --- SLA --------------------------------------------------------------------------------------


def sla_proposal(
    *, tenant: Tenant, editing: SlaPolicy | None, values: dict[str, Any]
) -> dict[str, Any]:
    """The proposed policy's values (those `policy_create` takes): `values` as sent for a new
    policy, or the edited policy's own with `values` changed; refused as saving would."""
    unknown = set(values) - set(policies.POLICY_FIELDS)
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.", field=sorted(unknown)[0])
    merged: dict[str, Any] = (
        {f: getattr(editing, f) for f in policies.POLICY_FIELDS}
        if editing is not None
        else {"conditions": []}
    )
    merged.update(values)
    # The policy services' own check (private there): the same refusals as saving.
    policies._check_policy(tenant, merged)
    return merged


def _proposed_choice(tenant: Tenant, values: dict[str, Any], policy_id: int) -> PolicyChoice:
    policy = SlaPolicy(tenant=tenant, **values)
    calendar_id = values.get("calendar_id")
    policy.calendar = (
        BusinessCalendar.objects.prefetch_related("holidays").get(tenant=tenant, pk=calendar_id)
        if calendar_id is not None
        else None
    )
    spec = RuleSpec(
        id=policy_id,
        name=policy.name,
        conditions=parse_conditions(values.get("conditions") or []),
        actions=parse_actions({"tags": ["sla"]}),
    )
    return PolicyChoice(
        id=policy_id, name=policy.name, rule=compile_rule(spec), targets=policies.Targets.of(policy)
    )


@dataclass(frozen=True)
class SlaWhatIf:
    seen: whatif_reads.Window
    days: int
    name: str
    policy_id: int | None
    report: whatif.SlaReport


def sla_whatif(
    *,
    tenant: Tenant,
    values: dict[str, Any],
    editing: SlaPolicy | None,
    position: int | None,
    days: int,
    now: datetime,
) -> SlaWhatIf:
    """Replays the proposed policy (checked values from `sla_proposal`) over the last `days`
    days. `position` is its place among the enabled policies (0 first)."""
    check_days(days)
    proposed_id = editing.pk if editing is not None else NEW_POLICY_ID
    proposed = _proposed_choice(tenant, values, proposed_id)
    chosen = whatif.policy_set(
        whatif_reads.current_policies(tenant),
        proposed,
        enabled=bool(values.get("is_enabled", True)),
        position=position,
    )
    seen = whatif_reads.window(tenant, days=days, now=now)
    cases = whatif_reads.sla_cases(tenant, seen, [p.rule.spec for p in chosen])
    return SlaWhatIf(
        seen,
        days,
        proposed.name,
        editing.pk if editing is not None else None,
        whatif.sla_replay(cases, chosen, proposed_id, now),
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _target_out(tally: TargetTally, touched: int) -> dict[str, Any]:
    return {
        "actual": tally.actual,
        "proposed": tally.proposed,
        "actual_percent": _percent(tally.actual, touched),
        "proposed_percent": _percent(tally.proposed, touched),
        "became_breached": tally.became_breached,
        "became_met": tally.became_met,
        "became_breached_cases": tally.became_breached_cases,
        "became_met_cases": tally.became_met_cases,
    }


def sla_whatif_out(result: SlaWhatIf) -> dict[str, Any]:
    report = result.report
    return {
        **_window_out(result.seen, result.days, report.cases),
        "policy": {"id": result.policy_id, "name": result.name},
        "matched": report.matched,
        "touched": report.touched,
        "first_response": _target_out(report.first_response, report.touched),
        "resolution": _target_out(report.resolution, report.touched),
        "by_priority": [
            {
                "priority": PRIORITY_BY_RUNG.get(rung, str(rung)),
                "cases": row.cases,
                "first_response_actual": row.first_response_actual,
                "first_response_proposed": row.first_response_proposed,
                "resolution_actual": row.resolution_actual,
                "resolution_proposed": row.resolution_proposed,
            }
            for rung, row in sorted(report.by_priority.items(), reverse=True)
        ],
        "note": SLA_NOTE,
    }


# --- routing ----------------------------------------------------------------------------------


def rule_list(tenant: Tenant, rules: list[RuleInput]) -> list[RuleSpec]:
    """A whole proposed rule list, first first, checked as saving each rule would be; the
    disabled ones are left out, as routing leaves them."""
    specs = []
    for index, data in enumerate(rules):
        try:
            spec = rule_spec_from_input(tenant, data, -(index + 1))
        except Invalid as error:
            raise Invalid(f"Rule {index + 1}: {error.detail}", field=error.field) from None
        if data.is_enabled:
            specs.append(spec)
    return specs


def rules_with_draft(
    tenant: Tenant, data: RuleInput, *, editing: RoutingRule | None, position: int | None
) -> list[RuleSpec]:
    """The enabled rules with one new or changed rule in place (its own place when it is
    stored, else `position` among the enabled rules, else last)."""
    draft = rule_spec_from_input(tenant, data, editing.pk if editing is not None else None)
    current = whatif_reads.current_rules(tenant)
    if position is None and editing is not None and editing.pk not in {s.id for s in current}:
        position = enabled_position(tenant, editing)  # a disabled rule acts in its place
    return whatif.rules_with(current, draft, enabled=data.is_enabled, position=position)


@dataclass(frozen=True)
class RoutingWhatIf:
    seen: whatif_reads.Window
    days: int
    report: whatif.RoutingReport
    queue_names: dict[int, str]
    owner_names: dict[int, str]


def routing_whatif(
    *, tenant: Tenant, specs: list[RuleSpec], days: int, now: datetime
) -> RoutingWhatIf:
    """Replays the proposed enabled rules (in order) over the last `days` days."""
    check_days(days)
    seen = whatif_reads.window(tenant, days=days, now=now)
    cases = whatif_reads.routing_cases(tenant, seen, specs)
    report = whatif.routing_replay(cases, compile_rules(specs), whatif_reads.queue_book(tenant))
    return RoutingWhatIf(
        seen, days, report, whatif_reads.queue_names(tenant), member_names(tenant.pk)
    )


def _queue_name(names: dict[int, str], queue_id: int | None) -> str:
    if not queue_id:
        return "No queue"
    return names.get(queue_id, f"Queue {queue_id}")


def _owner_name(names: dict[int, str], owner: OwnerKey) -> str:
    if owner == whatif.UNASSIGNED:
        return "Unassigned"
    if owner == whatif.BY_STRATEGY:
        return "Picked by the queue's strategy"
    return names.get(owner, f"User {owner}") if isinstance(owner, int) else str(owner)


def routing_whatif_out(result: RoutingWhatIf) -> dict[str, Any]:
    report, queues, owners = result.report, result.queue_names, result.owner_names
    queue_ids = sorted(
        set(report.queues_before) | set(report.queues_after),
        key=lambda q: (-report.queues_after[q], _queue_name(queues, q)),
    )
    owner_keys = sorted(
        set(report.owners_before) | set(report.owners_after),
        key=lambda o: (-report.owners_after[o], _owner_name(owners, o)),
    )
    return {
        **_window_out(result.seen, result.days, report.cases),
        "moved": report.moved,
        "owner_changed": report.owner_changed,
        "moves": [
            {
                "number": m.number,
                "from_queue": _queue_name(queues, m.from_queue),
                "to_queue": _queue_name(queues, m.to_queue),
            }
            for m in report.moves
        ],
        "fallback_actual": report.fallback_actual,
        "fallback_proposed": report.fallback_proposed,
        "queues": [
            {
                "queue_id": q or None,
                "queue": _queue_name(queues, q),
                "before": report.queues_before[q],
                "after": report.queues_after[q],
            }
            for q in queue_ids
        ],
        "owners": [
            {
                "owner_id": o if isinstance(o, int) else None,
                "owner": _owner_name(owners, o),
                "before": report.owners_before[o],
                "after": report.owners_after[o],
            }
            for o in owner_keys
        ],
        "rules": [{"rule": name, "cases": count} for name, count in report.by_rule.most_common()],
        "note": STRATEGY_NOTE,
    }
