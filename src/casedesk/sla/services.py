"""SLA clocks on cases: which policy applies, the due times it sets, pauses, and the breach
sweep. The arithmetic is in `sla.clock`; the matching reuses routing's rule conditions.

The case services call `sla_start`, `sla_recompute` and `sla_status_changed` inside their own
transactions, so a case's clocks never disagree with its state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.ordering import placed, write_positions
from casedesk.core.text import check_json_text, check_text
from casedesk.routing.rules import (
    CaseFacts,
    CompiledRule,
    RuleSpec,
    compile_rules,
    first_match,
    parse_actions,
    parse_conditions,
)
from casedesk.sla.clock import ALWAYS, Calendar, due, normalise_pauses
from casedesk.sla.escalation import escalate
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPause, SlaPolicy
from casedesk.tenancy.models import Tenant

if TYPE_CHECKING:
    from casedesk.cases.models import Case

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")

# Defaults for a new tenant, by priority: (first response, resolution, in business hours).
DEFAULT_TARGETS = (
    ("Urgent", "urgent", 60, 4 * 60, False),
    ("High", "high", 4 * 60, 2 * 8 * 60, True),
    ("Normal", "normal", 8 * 60, 3 * 8 * 60, True),
    ("Low", "low", 24 * 60, 5 * 8 * 60, True),
)
DEFAULT_WEEK = {day: [["09:00", "17:00"]] for day in DAY_KEYS[:5]}


# --- calendars -------------------------------------------------------------------------------

def _text(value: Any, field: str) -> str:
    """A name as typed, trimmed; text a database cannot store (NUL, a lone surrogate) is
    refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("Names are plain text.", field=field)
    return check_text(value, field=field, label="The name").strip()


def _minutes(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise Invalid(f"{where}: times are HH:MM, e.g. 09:00.", field="week")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def parse_week(raw: Any) -> tuple[tuple[tuple[int, int], ...], ...]:
    """{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], …} as the clock's weekly schedule."""
    if not isinstance(raw, dict):
        raise Invalid("week maps mon … sun to lists of [start, end] shifts.", field="week")
    unknown = set(raw) - set(DAY_KEYS)
    if unknown:
        raise Invalid(f"Unknown day {sorted(unknown)[0]!r}; days are {', '.join(DAY_KEYS)}.",
                      field="week")
    week = []
    for key in DAY_KEYS:
        shifts = raw.get(key) or []
        if not isinstance(shifts, list) or len(shifts) > 6:
            raise Invalid(f"{key}: a list of at most six [start, end] shifts.", field="week")
        day = []
        for shift in shifts:
            if not isinstance(shift, list | tuple) or len(shift) != 2:
                raise Invalid(f"{key}: each shift is [start, end].", field="week")
            start, end = _minutes(shift[0], key), _minutes(shift[1], key)
            if start == 1440 or start == end:
                raise Invalid(f"{key}: {shift[0]}–{shift[1]} is not a shift.", field="week")
            day.append((start, end))
        week.append(tuple(day))
    return tuple(week)


def holiday_dates(holidays: list[tuple[date, date]]) -> frozenset[date]:
    days: set[date] = set()
    for start, end in holidays:
        # Counted, not stepped past `end`: a holiday on 9999-12-31 has no day after it.
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def calendar_of(row: BusinessCalendar) -> Calendar:
    holidays = [(h.starts_on, h.ends_on) for h in row.holidays.all()]
    return Calendar(row.time_zone, parse_week(row.week), holiday_dates(holidays))


def calendar_save(*, tenant: Tenant, name: str, time_zone: str, week: Any,
                  calendar: BusinessCalendar | None = None) -> BusinessCalendar:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _text(name, "name")
    if not name:
        raise Invalid("A calendar needs a name.", field="name")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Unknown time zone {time_zone!r}.", field="time_zone") from None
    parse_week(week)
    name = name[:100]
    taken = BusinessCalendar.objects.filter(tenant=tenant, name=name)
    if calendar is not None:
        taken = taken.exclude(pk=calendar.pk)
    if taken.exists():
        raise Conflict(f"There is already a calendar named {name!r}.")
    row = calendar or BusinessCalendar(tenant=tenant)
    row.name, row.time_zone, row.week = name, time_zone, week
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same name saved at the same moment by someone else
        raise Conflict(f"There is already a calendar named {name!r}.") from None
    if calendar is not None:
        _recompute_later(tenant, clock.now())  # its policies' open cases count anew
    return row


def holiday_add(*, calendar: BusinessCalendar, name: str, starts_on: date,
                ends_on: date | None = None, recompute: bool = True) -> Holiday:
    """Adds a holiday; the open cases' clocks are recomputed after commit (`recompute=False`
    leaves that to a caller adding many)."""
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise Invalid("A holiday ends on or after the day it starts.", field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise Invalid("A holiday lasts at most a year.", field="ends_on")
    holiday = Holiday.objects.create(tenant_id=calendar.tenant_id, calendar=calendar,
                                     name=_text(name, "name")[:200], starts_on=starts_on,
                                     ends_on=ends_on)
    if recompute:
        _recompute_later(calendar.tenant, clock.now())
    return holiday


# --- policies --------------------------------------------------------------------------------

def sla_seed_defaults(tenant: Tenant, now: datetime) -> None:
    """A Mon–Fri 09:00–17:00 calendar in the tenant's zone and one policy per priority."""
    if SlaPolicy.objects.filter(tenant=tenant).exists():
        return
    calendar, _ = BusinessCalendar.objects.get_or_create(
        tenant=tenant, name="Business hours",
        defaults={"time_zone": tenant.time_zone, "week": DEFAULT_WEEK})
    SlaPolicy.objects.bulk_create([
        SlaPolicy(tenant=tenant, name=f"{label} priority", position=i, calendar=calendar,
                  conditions=[{"field": "priority", "op": "equals", "value": priority}],
                  first_response_minutes=first, resolution_minutes=resolution,
                  first_response_business=business, resolution_business=business,
                  # A customer waits no longer for the next answer than for the first.
                  next_response_minutes=first, next_response_business=business,
                  created_at=now, updated_at=now)
        for i, (label, priority, first, resolution, business) in enumerate(DEFAULT_TARGETS)
    ])


def _spec(policy: SlaPolicy) -> RuleSpec:
    return RuleSpec(id=policy.pk, name=policy.name, actions=parse_actions({"tags": ["sla"]}),
                    conditions=parse_conditions(policy.conditions))


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta
    first_response_calendar: Calendar
    resolution_calendar: Calendar
    warn_at: float
    next_response: timedelta | None = None
    next_response_calendar: Calendar = ALWAYS

    @classmethod
    def of(cls, policy: SlaPolicy) -> Targets:
        business = calendar_of(policy.calendar) if policy.calendar is not None else ALWAYS
        return cls(
            first_response=timedelta(minutes=policy.first_response_minutes),
            resolution=timedelta(minutes=policy.resolution_minutes),
            first_response_calendar=business if policy.first_response_business else ALWAYS,
            resolution_calendar=business if policy.resolution_business else ALWAYS,
            warn_at=min(max(policy.warn_at_percent, 1), 100) / 100,
            next_response=(timedelta(minutes=policy.next_response_minutes)
                           if policy.next_response_minutes else None),
            next_response_calendar=business if policy.next_response_business else ALWAYS,
        )


@dataclass(frozen=True)
class TenantPolicies:
    policies: dict[int, SlaPolicy]
    rules: tuple[CompiledRule, ...]
    targets: dict[int, Targets]


# Each process keeps every tenant's policies, compiled, with their calendars and holidays,
# keyed by the tenant's sla_version (bumped with every change of policies, calendars,
# holidays or settings, see _recompute_later) and creation time (SQLite may reuse a deleted
# tenant's id).
_cache: dict[int, tuple[tuple[int, object], TenantPolicies]] = {}


def tenant_policies(tenant: Tenant) -> TenantPolicies:
    key = (tenant.sla_version, tenant.created_at)
    cached = _cache.get(tenant.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    policies = list(SlaPolicy.objects.filter(tenant=tenant, is_enabled=True)
                    .select_related("calendar").prefetch_related("calendar__holidays"))
    loaded = TenantPolicies(policies={p.pk: p for p in policies},
                            rules=compile_rules([_spec(p) for p in policies]),
                            targets={p.pk: Targets.of(p) for p in policies})
    _cache[tenant.pk] = (key, loaded)
    return loaded


def policy_for(tenant: Tenant, facts: CaseFacts) -> tuple[SlaPolicy | None, Targets | None]:
    loaded = tenant_policies(tenant)
    matched = first_match(loaded.rules, facts)
    if matched is None or matched.id is None:
        return None, None
    return loaded.policies[matched.id], loaded.targets[matched.id]


# --- clocks on a case ------------------------------------------------------------------------

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
    from casedesk.routing.services import facts_of_case

    _set_clocks(case, policy_for(case.tenant, facts_of_case(case)), [], False)


def sla_recompute(case: Case) -> None:
    """Picks the policy again and recomputes the due times (a fact the policies match on
    changed). Breaches already marked stay marked."""
    from casedesk.routing.services import facts_of_case

    pauses, paused = _pauses(case)
    _set_clocks(case, policy_for(case.tenant, facts_of_case(case)), pauses, paused)


def _pausing(tenant: Tenant, status: str) -> bool:
    from casedesk.cases.lifecycle import Status

    if status in (Status.RESOLVED, Status.CLOSED):
        return True  # the case is not with the desk while it is resolved or closed
    return status == Status.PENDING_CUSTOMER and tenant.sla_pause_when_pending


def sla_mark_late(case: Case, now: datetime, *, first_response: bool,
                  resolution: bool) -> list[str]:
    """Marks the targets that were already overdue when their clock stopped or paused and no
    sweep had marked yet (the lateness would otherwise be lost with the due time), and
    records it on the timeline. Priority and notifications are the sweep's business: the
    case has been answered or is leaving the desk."""
    from casedesk.cases.models import EventKind, TimelineEvent

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
        TimelineEvent.objects.create(
            tenant_id=case.tenant_id, case=case, actor=None, kind=EventKind.SLA_BREACHED,
            created_at=now, field="sla",
            message=f"SLA breached: {' and '.join(late)} (met after it was due).",
            new_value={"targets": late, "elevated": False})
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
        from casedesk.cases.models import EventKind, TimelineEvent

        case.next_response_breached_at = now
        TimelineEvent.objects.create(
            tenant_id=case.tenant_id, case=case, actor=None, kind=EventKind.SLA_BREACHED,
            created_at=now, field="sla",
            message="SLA breached: next response (met after it was due).",
            new_value={"targets": ["next response"], "elevated": False})
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
        from casedesk.routing.services import facts_of_case

        chosen = policy_for(tenant, facts_of_case(case))
    _set_clocks(case, chosen, pauses, paused)


# --- the sweep -------------------------------------------------------------------------------

CHUNK = 5000


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
    from django.db.models import F, Q

    from casedesk.cases.models import OPEN_STATUS_VALUES, Case

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
    for start in range(0, len(breaches), CHUNK):
        chunk = breaches[start:start + CHUNK]
        ids = [b.case_id for b in chunk]
        fr_ids = [b.case_id for b in chunk if "first response" in b.targets]
        res_ids = [b.case_id for b in chunk if "resolution" in b.targets]
        next_ids = [b.case_id for b in chunk if "next response" in b.targets]
        if fr_ids:
            Case.objects.filter(pk__in=fr_ids).update(first_response_breached_at=now)
        if res_ids:
            Case.objects.filter(pk__in=res_ids).update(resolution_breached_at=now)
        if next_ids:
            Case.objects.filter(pk__in=next_ids).update(next_response_breached_at=now)
        # updated_at is left alone: it tells when people last worked the case, which is what
        # "no update for N hours" escalations ask.
        Case.objects.filter(pk__in=ids, priority__lt=4).update(priority=F("priority") + 1)
    return breaches


def _record_breaches(breaches: list[Breach], now: datetime, report: SweepReport) -> None:
    from casedesk.cases.models import EventKind, Priority, TimelineEvent
    from casedesk.notifications.models import Notification, NotificationKind
    from casedesk.tenancy.models import Membership, Role

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
        events.append(TimelineEvent(
            tenant_id=b.tenant_id, case_id=b.case_id, actor=None, kind=EventKind.SLA_BREACHED,
            created_at=now, field="sla", message=message,
            old_value=Priority(b.old_priority).label if elevated else None,
            new_value={"targets": list(b.targets), "priority": Priority(b.priority).label,
                       "elevated": elevated}))
        recipients = ([b.owner_id, managers.get((b.tenant_id, b.owner_id))]
                      if b.owner_id is not None else fallback.get(b.tenant_id, []))
        for user_id in dict.fromkeys(r for r in recipients if r is not None):
            notices.append(Notification(
                tenant_id=b.tenant_id, recipient_id=user_id, kind=NotificationKind.SLA_BREACH,
                case_id=b.case_id, created_at=now,
                message=f"{prefixes[b.tenant_id]}-{b.number}: {message}"[:500]))
    TimelineEvent.objects.bulk_create(events, batch_size=2000)
    Notification.objects.bulk_create(notices, batch_size=2000)
    report.notified += len(notices)


def _send_warnings(now: datetime, tenant: Tenant | None) -> tuple[int, int]:
    """Marks and notifies, once each, the owners of cases past a warning milestone."""
    from casedesk.cases.models import OPEN_STATUS_VALUES, Case
    from casedesk.notifications.models import Notification, NotificationKind

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
        for start in range(0, len(rows), CHUNK):
            Case.objects.filter(pk__in=[r[0] for r in rows[start:start + CHUNK]]).update(
                **{mark: now})
        warned += len(rows)
        label = target.replace("_", " ")
        tenants = {pk: (prefix, ZoneInfo(zone)) for pk, prefix, zone in
                   Tenant.objects.filter(pk__in={r[1] for r in rows})
                   .values_list("pk", "case_prefix", "time_zone")}
        notices = [
            Notification(tenant_id=tenant_id, recipient_id=owner_id, case_id=case_id,
                         kind=NotificationKind.SLA_WARNING, created_at=now,
                         message=f"{tenants[tenant_id][0]}-{number}: {label} due "
                                 f"{due_at.astimezone(tenants[tenant_id][1]):%d %b %H:%M %Z}."
                                 [:500])
            for case_id, tenant_id, owner_id, number, due_at in rows
            if owner_id is not None and due_at is not None
        ]
        Notification.objects.bulk_create(notices, batch_size=2000)
        notified += len(notices)
    return warned, notified


# --- managing policies, calendars and escalation rules ----------------------------------------

MAX_TARGET_MINUTES = 366 * 24 * 60
POLICY_FIELDS = ("name", "conditions", "calendar_id", "first_response_minutes",
                 "first_response_business", "next_response_minutes", "next_response_business",
                 "resolution_minutes", "resolution_business", "warn_at_percent", "is_enabled")


def _check_policy(tenant: Tenant, values: dict[str, Any]) -> None:
    name = _text(values.get("name"), "name")
    if not name:
        raise Invalid("A policy needs a name.", field="name")
    values["name"] = name[:200]
    check_json_text(values.get("conditions") or [], field="conditions", label="A condition")
    parse_conditions(values.get("conditions") or [])
    for target in ("first_response_minutes", "resolution_minutes", "next_response_minutes"):
        value = values.get(target)
        if value is None and target == "next_response_minutes":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not (
                0 < value <= MAX_TARGET_MINUTES):
            raise Invalid(f"{target} is a number of minutes between 1 and "
                          f"{MAX_TARGET_MINUTES}.", field=target)
    warn = values.get("warn_at_percent", 75)
    if isinstance(warn, bool) or not isinstance(warn, int) or not 1 <= warn <= 100:
        raise Invalid("warn_at_percent is between 1 and 100.", field="warn_at_percent")
    calendar_id = values.get("calendar_id")
    if calendar_id is not None and not BusinessCalendar.objects.filter(
            tenant=tenant, pk=calendar_id).exists():
        raise Invalid(f"No calendar with id {calendar_id}.", field="calendar_id")


def policy_create(*, tenant: Tenant, values: dict[str, Any], now: datetime) -> SlaPolicy:
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    values.setdefault("conditions", [])
    _check_policy(tenant, values)
    with transaction.atomic():
        position = SlaPolicy.objects.filter(tenant=tenant).count()
        policy = SlaPolicy.objects.create(tenant=tenant, position=position, created_at=now,
                                          updated_at=now, **values)
    _recompute_later(tenant, now)
    return policy


def policy_update(*, policy: SlaPolicy, changes: dict[str, Any], now: datetime) -> SlaPolicy:
    unknown = set(changes) - set(POLICY_FIELDS) - {"position"}
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.",
                      field=sorted(unknown)[0])
    tenant = policy.tenant
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().filter(pk=policy.pk, tenant=tenant).first()
        if locked is None:
            raise NotFound("The policy was deleted.")
        policy = locked
        values = {f: getattr(policy, f) for f in POLICY_FIELDS}
        values.update({k: v for k, v in changes.items() if k != "position"})
        _check_policy(tenant, values)
        for name, value in values.items():
            setattr(policy, name, value)
        policy.updated_at = now
        policy.save()
        if changes.get("position") is not None:
            order = list(SlaPolicy.objects.filter(tenant=tenant).values_list("pk", flat=True))
            _write_policy_order(tenant, placed(order, policy.pk, int(changes["position"])))
    _recompute_later(tenant, now)
    return policy


def policy_delete(*, policy: SlaPolicy, now: datetime) -> None:
    tenant = policy.tenant
    with transaction.atomic():
        policy.delete()
        _write_policy_order(tenant, list(SlaPolicy.objects.filter(tenant=tenant)
                                         .values_list("pk", flat=True)))
    _recompute_later(tenant, now)


def policies_reorder(*, tenant: Tenant, policy_ids: list[int], now: datetime) -> None:
    with transaction.atomic():
        current = set(SlaPolicy.objects.select_for_update().filter(tenant=tenant)
                      .values_list("pk", flat=True))
        if len(policy_ids) != len(set(policy_ids)) or set(policy_ids) != current:
            raise Invalid("The order must list every policy of the tenant exactly once.",
                          field="policy_ids")
        _write_policy_order(tenant, policy_ids)
    _recompute_later(tenant, now)


def _write_policy_order(tenant: Tenant, order: list[int]) -> None:
    write_positions(SlaPolicy.objects.filter(tenant=tenant), order)


def _recompute_later(tenant: Tenant, now: datetime) -> None:
    """Marks the tenant's cached policies stale, and has the open cases' clocks follow the
    policies as they now are, in the background (a tenant may have many), once the change
    is committed."""
    from casedesk.sla.tasks import recompute_open_clocks
    from casedesk.tenancy.services import tenant_bump_version

    tenant_bump_version(tenant, "sla_version")
    transaction.on_commit(lambda: recompute_open_clocks.enqueue(tenant.pk))


def recompute_open_clocks_now(tenant_id: int, batch: int = 500) -> int:
    """Recomputes the clocks of the tenant's open cases, in batches; returns how many."""
    from casedesk.cases.models import OPEN_STATUS_VALUES, Case

    done, last = 0, 0
    while True:
        with transaction.atomic():
            cases = list(Case.objects.select_for_update(of=("self",))
                         .filter(tenant_id=tenant_id, status__in=OPEN_STATUS_VALUES, pk__gt=last)
                         .select_related("tenant", "account", "contact")
                         .order_by("pk")[:batch])
            if not cases:
                return done
            now = clock.now()
            for case in cases:
                _sync_pause(case, now)
                sla_recompute(case)
            Case.objects.bulk_update(cases, [
                "sla_policy", "first_response_due_at", "resolution_due_at",
                "first_response_warn_at", "resolution_warn_at"])
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


def calendar_delete(*, calendar: BusinessCalendar, now: datetime) -> None:
    tenant = calendar.tenant
    calendar.delete()
    _recompute_later(tenant, now)


def holiday_delete(*, holiday: Holiday, now: datetime) -> None:
    tenant = holiday.calendar.tenant
    holiday.delete()
    _recompute_later(tenant, now)


def holidays_import_ical(*, calendar: BusinessCalendar, text: str, now: datetime
                         ) -> list[Holiday]:
    """Adds the all-day events of an iCalendar file (RFC 5545) as holidays; events already
    present (same dates) are skipped."""
    from casedesk.sla.ical import all_day_events

    events = all_day_events(text)
    existing = set(Holiday.objects.filter(calendar=calendar)
                   .values_list("starts_on", "ends_on"))
    added = []
    with transaction.atomic():
        for name, starts_on, ends_on in events:
            if (starts_on, ends_on) in existing:
                continue
            added.append(holiday_add(calendar=calendar, name=name, starts_on=starts_on,
                                     ends_on=ends_on, recompute=False))
            existing.add((starts_on, ends_on))
    if added:
        _recompute_later(calendar.tenant, now)
    return added


def escalation_rule_save(*, tenant: Tenant, values: dict[str, Any], now: datetime,
                         rule: EscalationRule | None = None) -> EscalationRule:
    """Creates (rule=None) or changes an escalation rule, checked first."""
    from casedesk.routing.models import Queue
    from casedesk.sla import escalation
    from casedesk.tenancy.models import Membership

    merged: dict[str, Any] = {"name": rule.name, "conditions": rule.conditions,
                              "actions": rule.actions,
              "is_enabled": rule.is_enabled} if rule is not None else {"is_enabled": True}
    merged.update(values)
    name = _text(merged.get("name"), "name")
    if not name:
        raise Invalid("A rule needs a name.", field="name")
    check_json_text(merged.get("conditions"), field="conditions", label="A condition")
    check_json_text(merged.get("actions"), field="actions", label="An action")
    conditions = escalation.parse_conditions(merged.get("conditions"))
    actions = escalation.parse_actions(merged.get("actions"))
    if actions.queue_id is not None and not Queue.objects.filter(
            tenant=tenant, pk=actions.queue_id, is_active=True).exists():
        raise Invalid(f"No active queue with id {actions.queue_id}.", field="actions")
    named = [int(t[5:]) for t in actions.notify if t.startswith("user:")]
    if named and Membership.objects.filter(tenant=tenant, user_id__in=named).count() != len(
            set(named)):
        raise Invalid("notify names a user who is not a member of this tenant.",
                      field="actions")
    with transaction.atomic():
        if rule is None:
            position = EscalationRule.objects.filter(tenant=tenant).count()
            rule = EscalationRule(tenant=tenant, created_at=now, position=position)
        rule.name = name[:200]
        rule.conditions = [{"field": c.field, "op": c.op,
                            "value": list(c.value) if isinstance(c.value, tuple) else c.value}
                           for c in conditions]
        rule.actions = actions.as_dict()
        rule.is_enabled = bool(merged.get("is_enabled", True))
        rule.updated_at = now
        rule.save()
    return rule


def escalation_rule_delete(*, rule: EscalationRule) -> None:
    """Deletes an escalation rule (and the record of which cases it escalated)."""
    rule.delete()


SLA_SETTINGS = ("sla_pause_when_pending", "sla_sweep_minutes")


def sla_settings_update(*, tenant: Tenant, changes: dict[str, Any]) -> Tenant:
    unknown = set(changes) - set(SLA_SETTINGS)
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.",
                      field=sorted(unknown)[0])
    minutes = changes.get("sla_sweep_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 0 <= minutes <= 24 * 60):
        raise Invalid("sla_sweep_minutes is between 0 (off) and 1440.",
                      field="sla_sweep_minutes")
    for name, value in changes.items():
        setattr(tenant, name, value)
    tenant.save(update_fields=list(changes))
    if "sla_pause_when_pending" in changes:
        _recompute_later(tenant, clock.now())
    return tenant
