"""SLA clocks on a case: which policy applies, the due times it sets, pauses, and lateness
found when a clock stops. The policies and their targets are `sla.policies`; the arithmetic
is `sla.clock`; the matching reuses routing's rule conditions.

The case services call `sla_start`, `sla_recompute`, `sla_status_changed`,
`sla_customer_wrote` and `sla_agent_answered` inside their own transactions, so a case's
clocks never disagree with its state.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from casedesk.cases.hooks import cases_touched
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import OPEN_STATUS_VALUES, Case, EventKind
from casedesk.cases.timeline import event, timeline_write
from casedesk.routing.services import facts_of_case
from casedesk.sla.clock import due, normalise_pauses
from casedesk.sla.models import SlaPause, SlaPolicy
from casedesk.sla.policies import Targets, policy_for, tenant_policies
from casedesk.tenancy.models import Tenant


def _pauses(case: Case) -> tuple[list[tuple[datetime, datetime]], bool]:
    rows = list(SlaPause.objects.filter(case=case).values_list("started_at", "ended_at"))
    is_paused = any(end is None for _, end in rows)
    return normalise_pauses([(s, e) for s, e in rows if e is not None], case.created_at), \
        is_paused


def _set_clocks(case: Case, chosen: tuple[SlaPolicy | None, Targets | None],
                pauses: list[tuple[datetime, datetime]], paused: bool) -> None:
    policy, targets = chosen
    case.sla_policy = policy
    if policy is None or targets is None:
        case.first_response_due_at = case.resolution_due_at = None
        case.first_response_warn_at = case.resolution_warn_at = None
        return
    start = case.created_at
    if paused:
        # A paused clock has no due time; the sweep passes it by until it runs again.
        case.first_response_due_at = case.resolution_due_at = None
        case.first_response_warn_at = case.resolution_warn_at = None
        return
    case.first_response_due_at = due(targets.first_response_calendar, start,
                                     targets.first_response, pauses)
    case.resolution_due_at = due(targets.resolution_calendar, start, targets.resolution, pauses)
    case.first_response_warn_at = due(targets.first_response_calendar, start,
                                      targets.first_response * targets.warn_at, pauses)
    case.resolution_warn_at = due(targets.resolution_calendar, start,
                                  targets.resolution * targets.warn_at, pauses)


def sla_start(case: Case) -> None:
    """Sets the clocks of a new case (before it is saved)."""
    _set_clocks(case, policy_for(case.tenant, facts_of_case(case)), [], False)


def sla_recompute(case: Case) -> None:
    """Picks the policy again and recomputes the due times (a fact the policies match on
    changed). Breaches already marked stay marked."""
    pauses, paused = _pauses(case)
    _set_clocks(case, policy_for(case.tenant, facts_of_case(case)), pauses, paused)


def _pausing(tenant: Tenant, status: str) -> bool:
    if status in (Status.RESOLVED, Status.CLOSED):
        return True  # the case is not with the desk while it is resolved or closed
    return status == Status.PENDING_CUSTOMER and tenant.sla_pause_when_pending


def sla_mark_late(case: Case, now: datetime, *, first_response: bool,
                  resolution: bool) -> list[str]:
    """Marks the targets that were already overdue when their clock stopped or paused and no
    sweep had marked yet (the lateness would otherwise be lost with the due time), and
    records it on the timeline. Priority and notifications are the sweep's business: the
    case has been answered or is leaving the desk."""
    late = []
    if (first_response and case.first_response_due_at is not None
            and case.first_response_due_at < now and case.first_response_breached_at is None):
        case.first_response_breached_at = now
        late.append("first response")
    if (resolution and case.resolution_due_at is not None and case.resolution_due_at < now
            and case.resolution_breached_at is None):
        case.resolution_breached_at = now
        late.append("resolution")
    if late:
        timeline_write([event(
            case, None, EventKind.SLA_BREACHED, now, field="sla",
            message=f"SLA breached: {' and '.join(late)} (met after it was due).",
            new_value={"targets": late, "elevated": False})])
    return late


def _targets_of(case: Case) -> Targets | None:
    loaded = tenant_policies(case.tenant)
    return loaded.targets.get(case.sla_policy_id) if case.sla_policy_id is not None else None


def sla_customer_wrote(case: Case, now: datetime) -> None:
    """Starts the next-response clock when a customer writes to a case that has had its
    first response (until then the first-response clock covers them) and no wait is running
    already: the earliest unanswered message sets the due time."""
    if case.first_response_at is None or case.next_response_due_at is not None:
        return
    if _pausing(case.tenant, case.status):
        return
    targets = _targets_of(case)
    if targets is None or targets.next_response is None:
        return
    case.next_response_due_at = due(targets.next_response_calendar, now,
                                    targets.next_response, [])
    case.next_response_breached_at = None


def sla_agent_answered(case: Case, now: datetime) -> None:
    """Stops the next-response clock at an agent's public reply (or when the case stops
    waiting on the desk); an answer after the due time that no sweep marked is a breach."""
    if case.next_response_due_at is None:
        return
    if case.next_response_due_at < now and case.next_response_breached_at is None:
        case.next_response_breached_at = now
        timeline_write([event(
            case, None, EventKind.SLA_BREACHED, now, field="sla",
            message="SLA breached: next response (met after it was due).",
            new_value={"targets": ["next response"], "elevated": False})])
    case.next_response_due_at = None


def sla_status_changed(case: Case, old: str, new: str, now: datetime) -> None:
    """Pauses the clocks when the case starts waiting on the customer (or is resolved) and
    resumes them, with the paused time added to every due time, when it comes back."""
    tenant = case.tenant
    was, now_pausing = _pausing(tenant, old), _pausing(tenant, new)
    if was == now_pausing:
        return
    if now_pausing:
        sla_mark_late(case, now, first_response=case.first_response_at is None,
                      resolution=True)
        sla_agent_answered(case, now)
        SlaPause.objects.get_or_create(tenant_id=case.tenant_id, case=case, ended_at=None,
                                       defaults={"started_at": now})
    else:
        SlaPause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    if case.sla_policy_id is None:
        return
    pauses, paused = _pauses(case)
    loaded = tenant_policies(tenant)
    chosen: tuple[SlaPolicy | None, Targets | None]
    if case.sla_policy_id in loaded.policies:
        chosen = (loaded.policies[case.sla_policy_id], loaded.targets[case.sla_policy_id])
    else:  # the policy was disabled or deleted since: pick again
            chosen = policy_for(tenant, facts_of_case(case))
    _set_clocks(case, chosen, pauses, paused)


def recompute_open_clocks_now(tenant_id: int, now: datetime, batch: int = 500) -> int:
    """Recomputes the clocks of the tenant's open cases, in batches; returns how many."""
    done, last = 0, 0
    while True:
        with transaction.atomic():
            cases = list(Case.objects.select_for_update(of=("self",))
                         .filter(tenant_id=tenant_id, status__in=OPEN_STATUS_VALUES, pk__gt=last)
                         .select_related("tenant", "account", "contact")
                         .order_by("pk")[:batch])
            if not cases:
                return done
            for case in cases:
                _sync_pause(case, now)
                sla_recompute(case)
            Case.objects.bulk_update(cases, [
                "sla_policy", "first_response_due_at", "resolution_due_at",
                "first_response_warn_at", "resolution_warn_at"])
            cases_touched(tenant_id, [case.pk for case in cases])
            done += len(cases)
            last = cases[-1].pk


def _sync_pause(case: Case, now: datetime) -> None:
    """Opens or closes the case's pause to agree with its status and the tenant's setting
    (which may have changed since the case last moved)."""
    should = _pausing(case.tenant, case.status)
    is_open_pause = SlaPause.objects.filter(case=case, ended_at__isnull=True).exists()
    if should and not is_open_pause:
        SlaPause.objects.create(tenant_id=case.tenant_id, case=case, started_at=now)
    elif is_open_pause and not should:
        SlaPause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
