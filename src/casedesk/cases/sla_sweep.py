"""The breach sweep: marks every open case past a due time, raises its priority a rung,
writes the timeline and notifies owners and their managers, sends the warnings whose
milestone has passed, then runs the escalation rules. Set-based, through the case services
of `cases.batch`, `cases.timeline` and `notifications.notices_write`.

`run_due_sweeps` is the worker's schedule: tenants that set `sla_sweep_minutes` are swept
that often by whichever `casedesk worker` gets to them first. A tenant's turn is claimed with
a conditional UPDATE of its `sla_swept_at`, so any number of workers can run the schedule
and each turn is swept once; a worker that dies mid-sweep loses nothing (the sweep's own
transaction rolls back and the next turn sweeps it all again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from casedesk.cases.batch import (
    TARGETS,
    cases_mark_breached,
    cases_mark_warned,
    cases_raise_priority,
)
from casedesk.cases.escalation import escalate
from casedesk.cases.models import OPEN_STATUS_VALUES, Case, EventKind
from casedesk.cases.timeline import event_of, timeline_write
from casedesk.core.priority import Priority
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.tenancy.models import Membership, Role, Tenant


@dataclass
class SweepReport:
    at: datetime
    breached_first_response: int = 0
    breached_resolution: int = 0
    breached_next_response: int = 0
    elevated: int = 0
    warned: int = 0
    notified: int = 0
    cases: list[int] = field(default_factory=list)
    escalated: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "breached_first_response": self.breached_first_response,
                "breached_resolution": self.breached_resolution,
                "breached_next_response": self.breached_next_response, "elevated": self.elevated,
                "warned": self.warned, "notified": self.notified, "cases": len(self.cases),
                "escalated": self.escalated}

    def summary(self) -> str:
        next_response = (f", {self.breached_next_response} next response"
                         if self.breached_next_response else "")
        text = (f"{len(self.cases)} case(s) breached ({self.breached_first_response} first "
                f"response, {self.breached_resolution} resolution{next_response}), "
                f"{self.elevated} raised a priority rung, {self.warned} warning(s), "
                f"{self.notified} notification(s)")
        if self.escalated:
            text += "; escalated: " + ", ".join(f"{rule} {n}" for rule, n in
                                                self.escalated.items())
        return text + "."


@dataclass(frozen=True)
class Breach:
    case_id: int
    tenant_id: int
    owner_id: int | None
    number: int
    old_priority: int
    targets: tuple[str, ...]

    @property
    def priority(self) -> int:
        return min(self.old_priority + 1, 4)


def sla_sweep(*, now: datetime, tenant: Tenant | None = None) -> SweepReport:
    """Marks every open case past a due time not yet marked: the breach time per target and
    the priority one rung up (urgent stays urgent), once per sweep whatever breached. Then
    writes the timeline events and notifies each case's owner and the owner's manager, and
    sends the warnings whose milestone has passed. Set-based: the cost follows the cases
    coming due, through partial indexes, not the cases open. Safe to run twice and at once:
    each sweep locks the rows it marks and skips rows another sweep holds."""
    report = SweepReport(at=now)
    with transaction.atomic():
        breaches = _mark_breaches(now, tenant)
        report.cases = [b.case_id for b in breaches]
        if breaches:
            _record_breaches(breaches, now, report)
        report.warned, warned_notices = _send_warnings(now, tenant)
        report.notified += warned_notices
        for hit in escalate(now=now, tenant_id=tenant.pk if tenant is not None else None):
            report.escalated[hit.rule] = report.escalated.get(hit.rule, 0) + hit.cases
    return report


def _mark_breaches(now: datetime, tenant: Tenant | None) -> list[Breach]:
    first_response = Q(first_response_due_at__lt=now, first_response_breached_at__isnull=True,
                       first_response_at__isnull=True)
    resolution = Q(resolution_due_at__lt=now, resolution_breached_at__isnull=True)
    next_response = Q(next_response_due_at__lt=now, next_response_breached_at__isnull=True)
    scope = Case.objects.filter(first_response | resolution | next_response,
                                status__in=OPEN_STATUS_VALUES)
    if tenant is not None:
        scope = scope.filter(tenant=tenant)
    rows = list(scope.select_for_update(skip_locked=True, of=("self",)).values_list(
        "pk", "tenant_id", "owner_id", "number", "priority", "first_response_due_at",
        "first_response_breached_at", "first_response_at", "resolution_due_at",
        "resolution_breached_at", "next_response_due_at", "next_response_breached_at"))
    breaches = []
    for (pk, tenant_id, owner_id, number, priority, fr_due, fr_breached, fr_at, res_due,
         res_breached, next_due, next_breached) in rows:
        targets = []
        if fr_due is not None and fr_due < now and fr_breached is None and fr_at is None:
            targets.append("first response")
        if res_due is not None and res_due < now and res_breached is None:
            targets.append("resolution")
        if next_due is not None and next_due < now and next_breached is None:
            targets.append("next response")
        if targets:
            breaches.append(Breach(pk, tenant_id, owner_id, number, priority, tuple(targets)))
    for target in TARGETS:
        label = target.replace("_", " ")
        ids = [b.case_id for b in breaches if label in b.targets]
        if ids:
            cases_mark_breached(ids, target, now)
    cases_raise_priority([b.case_id for b in breaches])
    return breaches


def _record_breaches(breaches: list[Breach], now: datetime, report: SweepReport) -> None:
    owners = {b.owner_id for b in breaches if b.owner_id is not None}
    tenants = {b.tenant_id for b in breaches}
    managers = {
        (m.tenant_id, m.user_id): m.manager.user_id
        for m in Membership.objects.filter(tenant_id__in=tenants, user_id__in=owners,
                                           manager__isnull=False).select_related("manager")
        if m.manager is not None
    }
    # A case nobody owns: its tenant's managers hear of the breach.
    fallback: dict[int, list[int]] = {}
    if any(b.owner_id is None for b in breaches):
        for m in Membership.objects.filter(tenant_id__in=tenants, role=Role.MANAGER,
                                           is_active=True):
            fallback.setdefault(m.tenant_id, []).append(m.user_id)
    prefixes = dict(Tenant.objects.filter(pk__in=tenants).values_list("pk", "case_prefix"))
    events, notices = [], []
    for b in breaches:
        report.breached_first_response += "first response" in b.targets
        report.breached_resolution += "resolution" in b.targets
        report.breached_next_response += "next response" in b.targets
        elevated = b.priority != b.old_priority
        report.elevated += elevated
        message = f"SLA breached: {' and '.join(b.targets)}."
        if elevated:
            message += f" Priority raised to {Priority(b.priority).label}."
        events.append(event_of(
            tenant_id=b.tenant_id, case_id=b.case_id, kind=EventKind.SLA_BREACHED, now=now,
            field="sla", message=message,
            old_value=Priority(b.old_priority).label if elevated else None,
            new_value={"targets": list(b.targets), "priority": Priority(b.priority).label,
                       "elevated": elevated}))
        recipients = ([b.owner_id, managers.get((b.tenant_id, b.owner_id))]
                      if b.owner_id is not None else fallback.get(b.tenant_id, []))
        for user_id in dict.fromkeys(r for r in recipients if r is not None):
            notices.append(Notice(
                tenant_id=b.tenant_id, recipient_id=user_id, kind=NotificationKind.SLA_BREACH,
                case_id=b.case_id, message=f"{prefixes[b.tenant_id]}-{b.number}: {message}"))
    timeline_write(events)
    notices_write(notices, now)
    report.notified += len(notices)


def _send_warnings(now: datetime, tenant: Tenant | None) -> tuple[int, int]:
    """Marks and notifies, once each, the owners of cases past a warning milestone."""
    warned = notified = 0
    scope = Case.objects.filter(status__in=OPEN_STATUS_VALUES)
    if tenant is not None:
        scope = scope.filter(tenant=tenant)
    for target, extra in (("first_response", {"first_response_at__isnull": True}),
                          ("resolution", {})):
        mark = f"{target}_warned_at"
        pending = scope.filter(**{f"{target}_warn_at__lt": now, f"{mark}__isnull": True,
                                  f"{target}_breached_at__isnull": True}, **extra)
        rows = list(pending.select_for_update(skip_locked=True, of=("self",)).values_list(
            "pk", "tenant_id", "owner_id", "number", f"{target}_due_at"))
        if not rows:
            continue
        cases_mark_warned([r[0] for r in rows], target, now)
        warned += len(rows)
        label = target.replace("_", " ")
        timeline_write(event_of(
            tenant_id=tenant_id, case_id=case_id, kind=EventKind.SLA_WARNED, now=now,
            field="sla", new_value={"targets": [label]},
            message=f"SLA warning: {label} comes due soon.")
            for case_id, tenant_id, _, _, _ in rows)
        tenants = {pk: (prefix, ZoneInfo(zone)) for pk, prefix, zone in
                   Tenant.objects.filter(pk__in={r[1] for r in rows})
                   .values_list("pk", "case_prefix", "time_zone")}
        notices = notices_write((
            Notice(tenant_id=tenant_id, recipient_id=owner_id, case_id=case_id,
                   kind=NotificationKind.SLA_WARNING,
                   message=f"{tenants[tenant_id][0]}-{number}: {label} due "
                           f"{due_at.astimezone(tenants[tenant_id][1]):%d %b %H:%M %Z}.")
            for case_id, tenant_id, owner_id, number, due_at in rows
            if owner_id is not None and due_at is not None
        ), now)
        notified += len(notices)
    return warned, notified


def run_due_sweeps(now: datetime) -> dict[str, SweepReport]:
    """Sweeps every tenant whose interval has passed since its last scheduled sweep."""
    done = {}
    for tenant in Tenant.objects.filter(sla_sweep_minutes__gt=0):
        last = tenant.sla_swept_at
        if last is not None and now < last + timedelta(minutes=tenant.sla_sweep_minutes):
            continue
        claimed = Tenant.objects.filter(
            Q(sla_swept_at=last) if last is not None else Q(sla_swept_at__isnull=True),
            pk=tenant.pk,
        ).update(sla_swept_at=now)
        if claimed:
            done[tenant.slug] = sla_sweep(now=now, tenant=tenant)
    return done
