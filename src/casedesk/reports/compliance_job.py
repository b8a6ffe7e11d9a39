"""The monthly SLA compliance report, wired: the month's rows read from the cases, the report
generated and stored, and the worker's job that makes last month's report and mails it.

Which cases belong to a month: those created within the month of the tenant's time zone
(as it is set now) that an SLA policy governs (`Case.sla_policy`; a case whose policy was
deleted since has none and drops out). Each such case gives one row per target its policy
sets: first response, resolution, and next response when the policy has that target and a
customer waited for a next answer before the month ended.

Everything is read as it stood when the month ended, from the case's timeline and its SLA
pauses, so re-generating a month later gives the same numbers however the cases moved on:
- first response: done at `first_response_at` (never overwritten) if before the month's end;
- resolution: done when the case last entered resolved or closed, if it was still there at
  the month's end (a re-opening after the month does not undo it; one within it does);
- the due times are computed again with `sla.clock.due` from the creation, the policy's
  target and calendar, and the pauses before the work (or before the month's end): the
  case's own due-time columns are cleared while a clock pauses (and so on every resolved
  case), so they cannot be read afterwards. A pause still running at the month's end counts
  up to that end only, so a clock that was paused with time left reads as open;
- a breach is the sweep's (or a late stop's) mark when it was made before the month's end;
- the priority is the one people last set (at creation, or a change by a member or a rule)
  before the month's end: the sweep's one-rung elevation after a breach is a consequence of
  the breach, not the priority the targets were set for;
- next response: the waits are replayed from the timeline as `cases.sla_clocks` runs them
  (a customer's message after the first response starts one, the next public reply by a
  member or the case starting to wait on the customer ends it). The case's row is the wait
  breached worst, else the wait still running at the month's end (open), else the last one
  (met).
The policy's name, targets and calendar are read as they are now: a policy edited after the
month changes a report re-generated then, which is why reports are stored when made.
"""

from __future__ import annotations

import itertools
import logging
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG, PRIORITY_NAMES
from casedesk.mail.delivery import one_line
from casedesk.mail.outbox import queue_report_mail
from casedesk.reports.compliance import (
    KIND_LABELS,
    TREND_MONTHS,
    ComplianceReport,
    MonthTrend,
    TargetKind,
    TargetRow,
    add_months,
    build_report,
    format_attainment,
    format_minutes,
    from_json,
    month_bounds,
    month_title,
    month_trend,
    to_json,
)
from casedesk.reports.models import MonthlyCompliance
from casedesk.sla.clock import ALWAYS, Calendar, Interval, due, normalise_pauses, open_intervals
from casedesk.sla.models import SlaPause, SlaPolicy
from casedesk.sla.policies import Targets
from casedesk.tenancy.models import Membership, Role, Tenant

log = logging.getLogger(__name__)

BATCH = 1000  # cases read per round of queries
# How far past the month the business calendars are cut in advance (`DueTimes`): enough for
# the due times of the targets desks set (days, a few weeks); longer ones are walked.
DUE_TIMES_AHEAD = timedelta(days=62)
MIN_YEAR = 1970
DONE_STATUSES = frozenset({"resolved", "closed"})
# cases.services marks a customer's automatic message (an auto-reply, a bounce) only in the
# text of its timeline event; such a message starts no next-response wait.
AUTOMATIC_MARK = "(automatic reply)."
NEXT_RESPONSE_LABEL = "next response"  # how the breach events name the target
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_EVENT_KINDS = (EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.CUSTOMER_REPLIED,
                EventKind.REPLY_ADDED, EventKind.SLA_BREACHED)


# --- months ---------------------------------------------------------------------------------

def parse_month(text: str) -> date:
    """"2026-11" as the first day of that month; Invalid (naming the field `month`) for
    anything else."""
    if not isinstance(text, str) or not _MONTH.fullmatch(text):
        raise Invalid("A month is written YYYY-MM, e.g. 2026-11.", field="month")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise Invalid(f"{text} is not a month: the month is 01 to 12.", field="month")
    if year < MIN_YEAR:
        raise Invalid(f"{text} is too long ago: the first month is {MIN_YEAR}-01.",
                      field="month")
    return date(year, month, 1)


def month_slug(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def tenant_zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.time_zone)


def current_month(tenant: Tenant, now: datetime) -> date:
    """The first day of the tenant's month `now` falls in, in the tenant's time zone."""
    local = now.astimezone(tenant_zone(tenant))
    return date(local.year, local.month, 1)


def check_month_over(tenant: Tenant, month: date, now: datetime) -> None:
    """Conflict unless the month has ended in the tenant's time zone."""
    this_month = current_month(tenant, now)
    if month >= this_month:
        when = "is this month" if month == this_month else "is still to come"
        raise Conflict(f"{month_title(month)} {when} in {tenant.time_zone}: a month's report "
                       f"is made once it has ended, from 1 {month_title(add_months(month, 1))}"
                       ".")


# --- the rows of one case, pure ---------------------------------------------------------------

class DueTimes:
    """Due times over one month's cases, the same as `sla.clock.due` gives, faster: each
    business calendar's open intervals over the window (the month, and DUE_TIMES_AHEAD
    after it) are cut once, so a due time without pauses is two bisections instead of a
    walk through the calendar.
    Anything else (pauses, a start outside the window, a due time past it) asks
    `sla.clock.due`, and so does everything without a window."""

    def __init__(self, window: tuple[datetime, datetime] | None = None) -> None:
        self.window = window
        self._cut: dict[Calendar, tuple[list[datetime], list[datetime], list[timedelta],
                                        list[timedelta]]] = {}

    def due(self, calendar: Calendar, start: datetime, target: timedelta,
            pauses: Sequence[Interval] = ()) -> datetime | None:
        if (self.window is None or pauses or calendar is ALWAYS or target <= timedelta()
                or not self.window[0] <= start < self.window[1]):
            return due(calendar, start, target, pauses)
        starts, ends, before, reach = self._intervals(calendar)
        first = bisect_right(ends, start)  # the first interval still open after `start`
        if first == len(ends):
            return due(calendar, start, target, pauses)
        position = before[first] + max(timedelta(), start - starts[first]) + target
        last = bisect_left(reach, position)  # the interval in which `target` is used up
        if last == len(reach):
            return due(calendar, start, target, pauses)
        return starts[last] + (position - before[last])

    def _intervals(self, calendar: Calendar) -> tuple[
            list[datetime], list[datetime], list[timedelta], list[timedelta]]:
        if calendar not in self._cut:
            assert self.window is not None
            starts, ends, before, reach = [], [], [], []
            total = timedelta()
            for a, b in open_intervals(calendar, *self.window):
                starts.append(a)
                ends.append(b)
                before.append(total)
                total += b - a
                reach.append(total)
            self._cut[calendar] = (starts, ends, before, reach)
        return self._cut[calendar]


@dataclass(frozen=True)
class Target:
    """One target of a policy: its length and the calendar its clock runs on (`ALWAYS` for
    a target kept in calendar time)."""

    minutes: int
    business: bool
    calendar: Calendar


@dataclass(frozen=True)
class PolicyTargets:
    name: str
    first_response: Target
    resolution: Target
    next_response: Target | None

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyTargets:
        targets = Targets.of(policy)
        return cls(
            name=policy.name,
            first_response=Target(policy.first_response_minutes,
                                  policy.first_response_business,
                                  targets.first_response_calendar),
            resolution=Target(policy.resolution_minutes, policy.resolution_business,
                              targets.resolution_calendar),
            next_response=(Target(policy.next_response_minutes or 0,
                                  policy.next_response_business,
                                  targets.next_response_calendar)
                           if targets.next_response is not None else None))


@dataclass(frozen=True)
class Happening:
    """One timeline event of a case, as the rows need it."""

    kind: str
    at: datetime
    by_member: bool  # the event has an actor (a member), not a customer or the system
    field: str
    old: Any
    new: Any
    message: str


@dataclass(frozen=True)
class MonthCase:
    """A case of the month with its events and SLA pauses from before the month's end."""

    number: int
    subject: str
    priority: int  # as it is now; the events tell what it was
    created_at: datetime
    first_response_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    events: Sequence[Happening]
    pauses: Sequence[tuple[datetime, datetime | None]]


@dataclass
class _Wait:
    """A customer's wait for the desk's next answer."""

    started_at: datetime
    due_at: datetime | None
    ended_at: datetime | None = None
    marked: bool = False


def case_rows(case: MonthCase, policy: PolicyTargets, *, period_end: datetime,
              pause_when_pending: bool, dues: DueTimes | None = None) -> list[TargetRow]:
    """The case's rows as of `period_end` (see the module's docstring); `pause_when_pending`
    is the tenant's setting that waiting on the customer pauses the clocks; `dues` works
    the due times out (the month's, shared by its cases)."""
    dues = dues or DueTimes()
    events = [e for e in case.events if e.at < period_end]
    priority = _priority_then(case.priority, events)

    def row(kind: TargetKind, target: Target, *, due_at: datetime | None,
            done_at: datetime | None, breached: bool) -> TargetRow:
        return TargetRow(policy=policy.name, priority=priority, kind=kind,
                         target_minutes=target.minutes, business=target.business,
                         due_at=due_at, done_at=done_at, breached=breached,
                         case_number=case.number, subject=case.subject)

    def before_end(moment: datetime | None) -> bool:
        return moment is not None and moment < period_end

    first_done = case.first_response_at if before_end(case.first_response_at) else None
    resolved = _done_since(events)
    rows = [
        row("first_response", policy.first_response, done_at=first_done,
            due_at=_due(dues, policy.first_response, case.created_at, case.pauses,
                        first_done or period_end),
            breached=before_end(case.first_response_breached_at)),
        row("resolution", policy.resolution, done_at=resolved,
            due_at=_due(dues, policy.resolution, case.created_at, case.pauses,
                        resolved or period_end),
            breached=before_end(case.resolution_breached_at)),
    ]
    if policy.next_response is not None:
        waits = _waits(events, policy.next_response, pause_when_pending, dues)
        chosen = _telling_wait(waits, period_end)
        if chosen is not None:
            rows.append(row("next_response", policy.next_response, due_at=chosen.due_at,
                            done_at=chosen.ended_at, breached=chosen.marked))
    return rows


def _due(dues: DueTimes, target: Target, start: datetime,
         pauses: Iterable[tuple[datetime, datetime | None]], until: datetime) -> datetime | None:
    """The target's due time as the clock stood at `until` (the work, or the month's end):
    the pauses before it, a pause running then cut off there."""
    spans = normalise_pauses(((s, min(e, until) if e is not None else until)
                              for s, e in pauses if s < until), until)
    return dues.due(target.calendar, start, timedelta(minutes=target.minutes), spans)


def _priority_then(current: int, events: Sequence[Happening]) -> str:
    """The priority people last set before the month's end (module docstring); the current
    one for a case whose history holds none."""
    chosen: str | None = None
    for e in events:
        if e.kind == EventKind.CREATED and isinstance(e.new, dict):
            chosen = e.new.get("priority", chosen)
        elif e.kind == EventKind.FIELD_CHANGED and e.field == "priority":
            chosen = e.new
    if isinstance(chosen, str) and chosen in PRIORITY_NAMES:
        return chosen
    return PRIORITY_BY_RUNG.get(current, str(current))


def _done_since(events: Sequence[Happening]) -> datetime | None:
    """When the case last entered resolved or closed, if it was still there at the end."""
    since: datetime | None = None
    for e in events:
        if e.kind != EventKind.STATUS_CHANGED:
            continue
        if e.new in DONE_STATUSES and e.old not in DONE_STATUSES:
            since = e.at
        elif e.new not in DONE_STATUSES:
            since = None
    return since


def _pausing(status: Any, pause_when_pending: bool) -> bool:
    return status in DONE_STATUSES or (status == "pending_customer" and pause_when_pending)


def _waits(events: Sequence[Happening], target: Target, pause_when_pending: bool,
           dues: DueTimes) -> list[_Wait]:
    """The next-response waits, replayed as `cases.sla_clocks` runs them. A customer's
    message always leaves the case in a status that does not pause (it moves a waiting,
    resolved or closed case back to the desk), so only its arriving after the first
    response and while no wait runs decides."""
    waits: list[_Wait] = []
    answered = False
    running: _Wait | None = None
    for e in events:
        if e.kind == EventKind.REPLY_ADDED and e.by_member:
            if not answered:
                answered = True  # the first response; the first-response clock covered it
            elif running is not None:
                running.ended_at, running = e.at, None
        elif e.kind == EventKind.CUSTOMER_REPLIED and not e.message.endswith(AUTOMATIC_MARK):
            if answered and running is None:
                running = _Wait(started_at=e.at, due_at=dues.due(
                    target.calendar, e.at, timedelta(minutes=target.minutes)))
                waits.append(running)
        elif e.kind == EventKind.STATUS_CHANGED:
            if (running is not None and _pausing(e.new, pause_when_pending)
                    and not _pausing(e.old, pause_when_pending)):
                running.ended_at, running = e.at, None
        elif e.kind == EventKind.SLA_BREACHED and _names_next_response(e.new):
            # A late answer's mark follows the reply that ended the wait, at the same time.
            if running is not None:
                running.marked = True
            elif waits and waits[-1].ended_at == e.at:
                waits[-1].marked = True
    return waits


def _names_next_response(value: Any) -> bool:
    return isinstance(value, dict) and NEXT_RESPONSE_LABEL in (value.get("targets") or ())


def _telling_wait(waits: list[_Wait], period_end: datetime) -> _Wait | None:
    """The wait that stands for the case: the one breached worst (the longest overrun, the
    earliest of equals), else the last one: still running (open) or answered in time (met)."""
    worst: tuple[timedelta, _Wait] | None = None
    for wait in waits:
        if not _breached(wait, period_end):
            continue
        end = wait.ended_at if wait.ended_at is not None else period_end
        overrun = end - wait.due_at if wait.due_at is not None else timedelta()
        if worst is None or overrun > worst[0]:
            worst = (overrun, wait)
    if worst is not None:
        return worst[1]
    return waits[-1] if waits else None


def _breached(wait: _Wait, period_end: datetime) -> bool:
    if wait.marked:
        return True
    if wait.due_at is None:
        return False
    if wait.ended_at is not None:
        return wait.ended_at > wait.due_at
    return wait.due_at < period_end


# --- the month's rows, read ------------------------------------------------------------------

def month_rows(tenant: Tenant, month: date) -> list[TargetRow]:
    """The rows of the tenant's month: its cases in batches of BATCH, each batch's events and
    pauses read in one query apiece."""
    start, end = month_bounds(month, tenant_zone(tenant))
    cases = (Case.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end,
                                 sla_policy__isnull=False).order_by("pk"))
    policies: dict[int, PolicyTargets] = {}
    dues = DueTimes((start, end + DUE_TIMES_AHEAD))
    rows: list[TargetRow] = []
    last = 0
    while True:
        batch = list(cases.filter(pk__gt=last).values(
            "pk", "number", "subject", "priority", "created_at", "first_response_at",
            "first_response_breached_at", "resolution_breached_at", "sla_policy_id")[:BATCH])
        if not batch:
            return rows
        last = batch[-1]["pk"]
        _load_policies(policies, {c["sla_policy_id"] for c in batch})
        for case, policy_id in _month_cases(batch, end):
            rows.extend(case_rows(case, policies[policy_id], period_end=end,
                                  pause_when_pending=tenant.sla_pause_when_pending,
                                  dues=dues))


def _load_policies(known: dict[int, PolicyTargets], ids: set[int]) -> None:
    missing = ids - known.keys()
    if missing:
        for policy in (SlaPolicy.objects.filter(pk__in=missing).select_related("calendar")
                       .prefetch_related("calendar__holidays")):
            known[policy.pk] = PolicyTargets.of(policy)


def _month_cases(batch: Sequence[Mapping[str, Any]], end: datetime
                 ) -> Iterator[tuple[MonthCase, int]]:
    ids = [c["pk"] for c in batch]
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for case_id, started, ended in (SlaPause.objects.filter(case_id__in=ids, started_at__lt=end)
                                    .values_list("case_id", "started_at", "ended_at")):
        pauses[case_id].append((started, ended))
    wanted = Q(kind__in=_EVENT_KINDS) | Q(kind=EventKind.FIELD_CHANGED, field="priority")
    events = (TimelineEvent.objects.filter(wanted, case_id__in=ids, created_at__lt=end)
              .order_by("case_id", "id")
              .values_list("case_id", "kind", "created_at", "actor_id", "field", "old_value",
                           "new_value", "message"))
    by_case = {case_id: [Happening(kind=kind, at=at, by_member=actor is not None, field=field,
                                   old=old, new=new, message=message)
                         for _, kind, at, actor, field, old, new, message in group]
               for case_id, group in itertools.groupby(events.iterator(), key=lambda e: e[0])}
    for c in batch:
        yield MonthCase(
            number=c["number"], subject=c["subject"], priority=c["priority"],
            created_at=c["created_at"], first_response_at=c["first_response_at"],
            first_response_breached_at=c["first_response_breached_at"],
            resolution_breached_at=c["resolution_breached_at"],
            events=by_case.get(c["pk"], ()), pauses=pauses.get(c["pk"], ()),
        ), c["sla_policy_id"]


# --- generating and storing ---------------------------------------------------------------------

def stored_trend(tenant: Tenant, month: date) -> list[MonthTrend]:
    """The figures of the stored reports of the TREND_MONTHS months before `month`."""
    found = []
    for data in (MonthlyCompliance.objects.for_tenant(tenant)
                 .filter(month__gte=add_months(month, -TREND_MONTHS), month__lt=month)
                 .values_list("data", flat=True)):
        try:
            found.append(month_trend(from_json(data)))
        except (ValueError, KeyError, TypeError):
            log.warning("Unreadable compliance report of tenant %s left out of a trend",
                        tenant.pk)
    return found


def compliance_generate(tenant: Tenant, month: date, now: datetime) -> MonthlyCompliance:
    """Makes the tenant's report of `month` (which must have ended in its time zone) and
    stores it, replacing the one stored before, in one transaction. Re-generating gives the
    same numbers (module docstring); when it was mailed stays as it was."""
    check_month_over(tenant, month, now)
    with transaction.atomic():
        report = build_report(tenant_name=tenant.name, month=month, zone=tenant_zone(tenant),
                              generated_at=now, rows=month_rows(tenant, month),
                              previous=stored_trend(tenant, month))
        # One statement, so two generators at once cannot both insert.
        MonthlyCompliance.objects.bulk_create(
            [MonthlyCompliance(tenant=tenant, month=month, data=to_json(report),
                               generated_at=report.generated_at)],
            update_conflicts=True, unique_fields=["tenant", "month"],
            update_fields=["data", "generated_at"])
        return MonthlyCompliance.objects.get(tenant=tenant, month=month)


def stored_report(tenant: Tenant, month: date) -> tuple[MonthlyCompliance, ComplianceReport
                                                         ] | None:
    row = MonthlyCompliance.objects.for_tenant(tenant).filter(month=month).first()
    if row is None:
        return None
    return row, from_json(row.data)


# --- the worker's job -------------------------------------------------------------------------

def compliance_due(now: datetime) -> list[str]:
    """Makes and mails last month's report of every tenant whose month has turned since:
    the report of the month before the tenant's current one (in its time zone) is generated
    when none is stored and mailed to its managers and admins when it has not been yet.
    A tenant made after that month ended is passed by. Safe to run twice, or at once on two
    workers: the mailing is claimed by setting `mailed_at` in the transaction that queues the
    mail, so each report is mailed once. Returns a line per report mailed."""
    tenants = list(Tenant.objects.order_by("pk"))
    wanted = {t.pk: add_months(current_month(t, now), -1) for t in tenants}
    mailed = set(MonthlyCompliance.objects.filter(
        month__in=set(wanted.values()), mailed_at__isnull=False).values_list("tenant_id",
                                                                              "month"))
    done = []
    for tenant in tenants:
        month = wanted[tenant.pk]
        if (tenant.pk, month) in mailed:
            continue
        _, end = month_bounds(month, tenant_zone(tenant))
        if tenant.created_at >= end:
            continue
        told = _make_and_mail(tenant, month, now)
        if told:
            done.append(f"SLA compliance {month_slug(month)} for {tenant.slug}: mailed to "
                        f"{told} manager(s) and admin(s)")
    return done


def _make_and_mail(tenant: Tenant, month: date, now: datetime) -> int:
    """Generates the month's report if none is stored and mails it, unless it has been
    mailed; returns to how many people."""
    with transaction.atomic():
        row = MonthlyCompliance.objects.for_tenant(tenant).filter(month=month).first()
        if row is None:
            row = compliance_generate(tenant, month, now)
        claimed = MonthlyCompliance.objects.filter(pk=row.pk, mailed_at__isnull=True
                                                   ).update(mailed_at=now)
        if not claimed:
            return 0
        report = from_json(row.data)
        recipients = report_recipients(tenant)
        for name, address in recipients:
            queue_report_mail(tenant=tenant, to=address, subject=mail_subject(report),
                              body=mail_body(report, name=name, case_prefix=tenant.case_prefix),
                              now=now)
        return len(recipients)


def report_recipients(tenant: Tenant) -> list[tuple[str, str]]:
    """(name, address) of the tenant's active managers and admins, by address."""
    return [(name, email) for name, email in (
        Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True,
                                  role__in=[Role.MANAGER, Role.ADMIN])
        .exclude(user__email="").order_by("user__email")
        .values_list("user__full_name", "user__email"))]


def report_url(month: date, suffix: str = "") -> str:
    """The report's page (or its PDF, `suffix=".pdf"`), as mailed (CASEDESK_BASE_URL, else
    localhost)."""
    base = str(settings.BASE_URL) or "http://localhost:8000"
    name = {"": "reports:compliance_month", ".pdf": "reports:compliance_pdf",
            ".csv": "reports:compliance_csv"}[suffix]
    return base + reverse(name, args=[month_slug(month)])


def mail_subject(report: ComplianceReport) -> str:
    return f"SLA compliance, {month_title(report.month)} — {report.tenant_name}"


def mail_body(report: ComplianceReport, *, name: str, case_prefix: str) -> str:
    """The mail: the headline figures per kind of target, the worst offenders, and links to
    the report's page and its PDF (the outbox sends no attachments)."""
    lines = [f"Hello{' ' + name if name else ''},", "",
             f"The SLA compliance report for {month_title(report.month)} is ready (counted "
             f"in {report.time_zone}). Attainment is met ÷ (met + breached):", ""]
    for total in report.totals:
        if total.cases == 0 and total.open == 0:
            continue
        lines.append(f"  {KIND_LABELS[total.kind]}: {format_attainment(total.attainment)} "
                     f"({total.met} met, {total.breached} breached, {total.open} open)")
    if all(t.cases == 0 and t.open == 0 for t in report.totals):
        lines.append("  No case had an SLA target this month.")
    if report.offenders:
        lines += ["", "Longest overruns:"]
        for o in report.offenders[:3]:
            lines.append(f"  {case_prefix}-{o.case_number} \"{one_line(o.subject)[:80]}\": "
                         f"{KIND_LABELS[o.kind].lower()} {format_minutes(o.overrun_minutes)} "
                         "late")
    lines += ["", f"The report: {report_url(report.month)}",
              f"As PDF: {report_url(report.month, '.pdf')}", "", report.tenant_name, ""]
    return "\n".join(lines)
