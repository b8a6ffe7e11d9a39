"""Reads behind the SLA parts of the console: a case's clocks told in words (the case page's
SLA card, the list's badge), and the SLA set-up pages' lists (policies, calendars, escalation
rules) in words. Clocks are read from the case's own columns (`sla.readings`), so showing
them costs no query; each list costs a fixed number of queries however long it is."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.dateformat import format as format_date

from casedesk.cases.lifecycle import Status, is_done
from casedesk.cases.models import Case
from casedesk.console.escalation_form import condition_words
from casedesk.console.rule_form import describe_condition
from casedesk.routing.models import Queue
from casedesk.sla.models import BusinessCalendar, EscalationHit, EscalationRule, SlaPolicy
from casedesk.sla.readings import (
    BREACHED,
    MET,
    NONE,
    PAUSED,
    RUNNING,
    STOPPED,
    WARNING,
    ClockView,
    clocks_of,
)
from casedesk.sla.services import DAY_KEYS
from casedesk.tenancy.models import Membership, Tenant

DAY_NAMES = dict(zip(DAY_KEYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


# --- time in words ---------------------------------------------------------------------------

def duration_words(delta: timedelta) -> str:
    """A length of time as people read it on a clock: "3 h 20 min", "2 d 4 h", "45 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def moment(value: datetime, zone: tzinfo | None, now: datetime | None = None) -> str:
    """An instant in the given zone (the tenant's): "Mon 23 Nov, 17:00", with the year when
    it is not this year's."""
    local = timezone.localtime(value, zone or timezone.get_current_timezone())
    same_year = now is None or timezone.localtime(now, local.tzinfo).year == local.year
    return format_date(local, "D j M, H:i" if same_year else "D j M Y, H:i")


# --- a case's clocks -------------------------------------------------------------------------

@dataclass(frozen=True)
class ClockLine:
    """One clock as the case page tells it: its state, a sentence and a detail."""

    target: str
    label: str
    state: str
    text: str
    detail: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


STATE_LABELS = {RUNNING: "on track", WARNING: "at risk", BREACHED: "breached", MET: "met",
                PAUSED: "paused", STOPPED: "stopped", NONE: "no target"}


def _met_at(case: Case, view: ClockView) -> datetime | None:
    if view.target == "first_response":
        return case.first_response_at
    if view.target == "next_response":
        return None  # each wait ends at an answer; the clock shows the current one
    return case.resolved_at if case.status in (Status.RESOLVED, Status.CLOSED) else None


def clock_line(case: Case, view: ClockView, now: datetime, zone: tzinfo | None) -> ClockLine:
    """The clock in words: time left, overdue, paused, met or breached (with when)."""
    def at(value: datetime) -> str:
        return moment(value, zone, now)

    met_at = _met_at(case, view)
    remaining = view.remaining
    text, detail = "", ""
    if view.state in (RUNNING, WARNING) and remaining is not None and view.due_at is not None:
        text, detail = f"due in {duration_words(remaining)}", f"due {at(view.due_at)}"
    elif view.state == BREACHED:
        if remaining is not None and remaining <= timedelta(0) and view.due_at is not None:
            text = f"overdue by {duration_words(remaining)}"
            detail = (f"breached at {at(view.breached_at)}" if view.breached_at is not None
                      else f"was due {at(view.due_at)}")
        else:
            text = (f"breached at {at(view.breached_at)}" if view.breached_at is not None
                    else f"missed: was due {at(view.due_at)}" if view.due_at is not None
                    else "missed")
            if met_at is not None:
                verb = "responded" if view.target == "first_response" else "resolved"
                detail = f"{verb} at {at(met_at)}"
    elif view.state == MET and met_at is not None:
        text = f"met at {at(met_at)}"
    elif view.state == MET:
        text = "met"
    elif view.state == PAUSED:
        text = ("paused — waiting on the customer" if case.status == Status.PENDING_CUSTOMER
                else "paused")
    elif view.state == STOPPED:
        text = f"stopped — the case was {Status(case.status).label.lower()} first"
    else:
        text = "no target"
    return ClockLine(target=view.target, label=view.label, state=view.state, text=text,
                     detail=detail)


@dataclass(frozen=True)
class CaseClocks:
    """What the case page's SLA card shows."""

    policy: str  # the policy's name, "" when none applies
    lines: list[ClockLine]

    @property
    def has_clock(self) -> bool:
        return any(line.state != NONE for line in self.lines)


def case_clocks(case: Case, now: datetime, zone: tzinfo | None) -> CaseClocks:
    """The case's clocks in words. No query: the clocks are the case's columns, and its
    policy comes with it (`select_related`)."""
    lines = [clock_line(case, view, now, zone)
             for view in clocks_of(case, now, done=is_done(case.status))]
    policy = case.sla_policy.name if case.sla_policy_id and case.sla_policy else ""
    return CaseClocks(policy=policy, lines=lines)


@dataclass(frozen=True)
class Badge:
    """The list's SLA cell: the clock nearest to its due time, or what is left to say."""

    tone: str
    text: str
    title: str = ""


_ACTIVE = (RUNNING, WARNING, BREACHED)


def nearest_badge(case: Case, now: datetime, zone: tzinfo | None = None) -> Badge | None:
    """A breached clock first, else the running clock that comes due first; a paused case
    says so; a case whose clocks are done says whether they were met. None: no SLA."""
    views = clocks_of(case, now, done=is_done(case.status))
    running = [(v.state != BREACHED, v.remaining, v.due_at, v) for v in views
               if v.state in _ACTIVE and v.remaining is not None and v.due_at is not None]
    if running:
        _, remaining, due_at, view = min(running, key=lambda r: (r[0], r[1]))
        title = f"{view.label} due {moment(due_at, zone, now)}"
        if remaining <= timedelta(0):
            return Badge(BREACHED, f"overdue {duration_words(remaining)}",
                         f"{view.label} overdue since {moment(due_at, zone, now)}")
        if view.state == BREACHED:
            return Badge(BREACHED, "breached", title)
        return Badge(view.state, f"{duration_words(remaining)} left", title)
    states = {v.state for v in views}
    if PAUSED in states:
        return Badge(PAUSED, "paused", "Waiting on the customer: the clocks stand still")
    if BREACHED in states:
        missed = [v.label for v in views if v.state == BREACHED]
        return Badge(BREACHED, "breached", f"Missed: {', '.join(missed).lower()}")
    if MET in states:
        return Badge(MET, "met", "Every target was met")
    return None


# --- the set-up lists ------------------------------------------------------------------------

def target_words(minutes: int | None, business: bool) -> str:
    if minutes is None:
        return "—"
    kind = "business" if business else "calendar"
    return f"{duration_words(timedelta(minutes=minutes))} ({kind})"


COUNT_CAP = 1000


@dataclass
class PolicyLine:
    policy: SlaPolicy
    number: int
    conditions: list[str]
    targets: list[tuple[str, str]]
    open_cases: int = 0
    is_first: bool = False
    is_last: bool = False

    @property
    def open_cases_text(self) -> str:
        return f"{self.open_cases:,}+" if self.open_cases >= COUNT_CAP else f"{self.open_cases:,}"


def policy_lines(tenant: Tenant) -> list[PolicyLine]:
    """The tenant's policies in order, in words, with how many open cases each governs."""
    from casedesk.cases.models import OPEN_STATUS_VALUES

    policies = list(SlaPolicy.objects.filter(tenant=tenant).select_related("calendar")
                    .order_by("position", "id"))
    # Counted no further than COUNT_CAP per policy (a LIMIT subquery along the policy's
    # index), so the page costs the same with a million open cases.
    open_cases = Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES).order_by()
    counts = {p.pk: open_cases.filter(sla_policy_id=p.pk)[:COUNT_CAP].count()
              for p in policies}
    lines = []
    for i, policy in enumerate(policies):
        targets = [("First response", target_words(policy.first_response_minutes,
                                                   policy.first_response_business))]
        if policy.next_response_minutes is not None:
            targets.append(("Next response", target_words(policy.next_response_minutes,
                                                          policy.next_response_business)))
        targets.append(("Resolution", target_words(policy.resolution_minutes,
                                                   policy.resolution_business)))
        lines.append(PolicyLine(
            policy=policy, number=i + 1, targets=targets, open_cases=counts.get(policy.pk, 0),
            conditions=[describe_condition(c) for c in policy.conditions or []
                        if isinstance(c, dict)]))
    if lines:
        lines[0].is_first = lines[-1].is_last = True
    return lines


def week_words(week: Any) -> list[str]:
    """A weekly schedule in words, days with the same hours together: "Mon–Fri 09:00–17:00"."""
    if not isinstance(week, dict):
        return []
    hours = []
    for key in DAY_KEYS:
        shifts = week.get(key) or []
        hours.append(", ".join(f"{s[0]}–{s[1]}" for s in shifts
                               if isinstance(s, list | tuple) and len(s) == 2))
    words: list[str] = []
    start = 0
    while start < 7:
        end = start
        while end + 1 < 7 and hours[end + 1] == hours[start]:
            end += 1
        if hours[start]:
            days = (DAY_NAMES[DAY_KEYS[start]] if start == end
                    else f"{DAY_NAMES[DAY_KEYS[start]]}–{DAY_NAMES[DAY_KEYS[end]]}")
            words.append(f"{days} {hours[start]}")
        start = end + 1
    return words


@dataclass
class CalendarLine:
    calendar: BusinessCalendar
    hours: list[str]
    holidays: int
    policies: list[str] = field(default_factory=list)


def calendar_lines(tenant: Tenant) -> list[CalendarLine]:
    calendars = list(BusinessCalendar.objects.filter(tenant=tenant)
                     .annotate(holiday_count=Count("holidays")).order_by("name"))
    used: dict[int, list[str]] = {}
    for calendar_id, name in (SlaPolicy.objects.filter(tenant=tenant, calendar__isnull=False)
                              .order_by("position", "id").values_list("calendar_id", "name")):
        used.setdefault(calendar_id, []).append(name)
    return [CalendarLine(calendar=c, hours=week_words(c.week),
                         holidays=getattr(c, "holiday_count", 0), policies=used.get(c.pk, []))
            for c in calendars]


# --- escalation rules ------------------------------------------------------------------------

NOTIFY_WORDS = {"owner": "the owner", "owner_manager": "the owner's manager",
                "managers": "every manager", "admins": "every admin"}


@dataclass
class EscalationLine:
    rule: EscalationRule
    number: int
    conditions: list[str]
    actions: list[str]
    hits: int = 0

    @property
    def hits_text(self) -> str:
        return f"{self.hits:,}+" if self.hits >= COUNT_CAP else f"{self.hits:,}"


def escalation_lines(tenant: Tenant) -> list[EscalationLine]:
    rules = list(EscalationRule.objects.filter(tenant=tenant).order_by("position", "id"))
    queues = dict(Queue.objects.filter(tenant=tenant).values_list("pk", "name"))
    members = member_names(tenant)
    hits = {rule.pk: EscalationHit.objects.filter(rule_id=rule.pk).order_by()[:COUNT_CAP]
            .count() for rule in rules}
    return [EscalationLine(
        rule=rule, number=i + 1, hits=hits[rule.pk],
        conditions=[condition_words(c, queues) for c in rule.conditions or []
                    if isinstance(c, dict)],
        actions=escalation_action_words(rule.actions or {}, queues, members))
        for i, rule in enumerate(rules)]


def escalation_action_words(actions: dict[str, Any], queues: dict[int, str],
                            members: dict[int, str]) -> list[str]:
    words = []
    notify = [NOTIFY_WORDS.get(t) or members.get(int(t[5:]) if t[5:].isdecimal() else 0,
                                                   "(former member)")
              for t in actions.get("notify") or [] if isinstance(t, str)]
    if notify:
        words.append("Notify " + ", ".join(notify))
    if actions.get("queue_id") is not None:
        words.append(f"Move to {queues.get(actions['queue_id'], '(deleted queue)')}, "
                     "unassigned")
    if actions.get("raise_priority"):
        words.append("Raise priority one rung")
    return words


def member_names(tenant: Tenant, *, active_only: bool = False) -> dict[int, str]:
    qs = Membership.objects.filter(tenant=tenant).select_related("user")
    if active_only:
        qs = qs.filter(is_active=True, user__is_active=True)
    return {m.user_id: m.user.display_name
            for m in qs.order_by("user__full_name", "user__email")}
