"""Reads behind the SLA parts of the agents' workspace: a case's clocks told in words (the
case page's SLA card, the list's badge), read from the case's own columns (`sla.readings`)
so showing them costs no query."""

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.utils import timezone
from django.utils.dateformat import format as format_date

from casedesk.cases.lifecycle import Status, is_done
from casedesk.cases.models import Case
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
from casedesk.sla.words import duration_words

# --- time in words ---------------------------------------------------------------------------

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
