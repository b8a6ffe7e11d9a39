"""What a case's SLA clocks say at `now`, for pages and the API: read from the case's own
columns, no query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

# The states a clock can be in, as shown to people.
NONE = "none"  # no policy applies
RUNNING = "running"
WARNING = "warning"  # past its warning milestone, not yet due
BREACHED = "breached"
MET = "met"
PAUSED = "paused"  # waiting on the customer
STOPPED = "stopped"  # resolved or closed before it was due


@dataclass(frozen=True)
class ClockView:
    target: str  # "first_response", "resolution" or "next_response"
    label: str
    state: str
    due_at: datetime | None
    breached_at: datetime | None
    remaining: timedelta | None  # due_at - now while it runs; negative once overdue

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "state": self.state, "due_at": self.due_at,
                "breached_at": self.breached_at,
                "remaining_seconds": (int(self.remaining.total_seconds())
                                      if self.remaining is not None else None)}


def clocks_of(case: Any, now: datetime, *, done: bool) -> list[ClockView]:
    """The case's clocks as people read them; `done`: the case is resolved or closed (the
    lifecycle is the cases app's to say)."""
    views = []
    for target, label, due_at, breached_at, warn_at, met_at in (
        ("first_response", "First response", case.first_response_due_at,
         case.first_response_breached_at, case.first_response_warn_at, case.first_response_at),
        ("resolution", "Resolution", case.resolution_due_at, case.resolution_breached_at,
         case.resolution_warn_at, case.resolved_at if done else None),
    ):
        remaining = due_at - now if due_at is not None else None
        if case.sla_policy_id is None and due_at is None and breached_at is None:
            state = NONE
        elif met_at is not None:
            # Met after its due time is a breach even when no sweep marked it before.
            late = breached_at is not None or (due_at is not None and met_at > due_at)
            state = BREACHED if late else MET
            remaining = None
        elif breached_at is not None:
            state = BREACHED
        elif done:
            state, remaining = STOPPED, None
        elif due_at is None:
            state = PAUSED
        elif due_at <= now:
            state = BREACHED  # overdue; the next sweep marks it
        elif warn_at is not None and warn_at <= now:
            state = WARNING
        else:
            state = RUNNING
        views.append(ClockView(target, label, state, due_at, breached_at, remaining))
    next_view = _next_response(case, now, done)
    if next_view is not None:
        views.append(next_view)
    return views


def _next_response(case: Any, now: datetime, done: bool) -> ClockView | None:
    """The wait for the desk's answer to a customer's latest message: shown while it runs,
    and once it has been breached."""
    due_at, breached_at = case.next_response_due_at, case.next_response_breached_at
    if due_at is None and breached_at is None:
        return None
    if due_at is None:
        return ClockView("next_response", "Next response", BREACHED, None, breached_at, None)
    remaining = due_at - now
    state = (STOPPED if done else BREACHED if breached_at is not None or due_at <= now
             else RUNNING)
    return ClockView("next_response", "Next response", state, due_at, breached_at,
                     None if done else remaining)


def breached_filter() -> Q:
    """Open cases with a breached target."""
    return (Q(first_response_breached_at__isnull=False)
            | Q(resolution_breached_at__isnull=False)
            | Q(next_response_breached_at__isnull=False))


def breaching_within_filter(now: datetime, hours: float) -> Q:
    """Open cases with a running clock that comes due within `hours` (or is already overdue
    but not yet marked by a sweep)."""
    horizon = now + timedelta(hours=hours)
    return (Q(first_response_due_at__lte=horizon, first_response_breached_at__isnull=True,
              first_response_at__isnull=True)
            | Q(resolution_due_at__lte=horizon, resolution_breached_at__isnull=True)
            | Q(next_response_due_at__lte=horizon, next_response_breached_at__isnull=True))
