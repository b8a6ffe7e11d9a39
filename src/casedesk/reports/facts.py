"""What the reports count of one case, and the arithmetic of the figures: pure functions.

`case_facts` turns a case (as `FactInputs`) into the values of its `CaseFact` row;
`percentile` and `change` are the scorecard's arithmetic. Nothing here reads the clock or
the database, so the refresh job and the from-scratch rebuild cannot disagree by design:
they differ only in which cases they hand in.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casedesk.sla.clock import Calendar, Interval, elapsed, normalise_pauses

MET, BREACHED, PENDING = "met", "breached", "pending"
DONE_STATUSES = ("resolved", "closed")
SATISFIED_FROM = 4  # ratings 4 and 5 of 5 (and "good", stored as 5) count as satisfied


@dataclass(frozen=True)
class FactInputs:
    """A case and what else its facts depend on, as read by the rollup in batches.

    `calendar` is the business calendar of the case's SLA policy (None without a policy;
    the always-open calendar for a policy without one); `pauses` its clocks' pauses."""

    case_id: int
    tenant_id: int
    number: int
    status: str
    priority: int
    category: str
    source: str
    queue_id: int | None
    owner_id: int | None
    account_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    has_policy: bool
    first_response_due_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due_at: datetime | None
    resolution_breached_at: datetime | None
    calendar: Calendar | None
    pauses: Sequence[tuple[datetime, datetime | None]]
    agent_replies: int
    claimed_at: datetime | None
    csat_rating: int | None
    csat_answered_at: datetime | None


def outcome(*, has_policy: bool, done_at: datetime | None, due_at: datetime | None,
            breached_at: datetime | None) -> str:
    """A target's outcome: breached when the sweep marked it or the work came after its due
    time; met when done in time; pending while not done; "" without a policy."""
    if not has_policy:
        return ""
    if breached_at is not None:
        return BREACHED
    if done_at is None:
        return PENDING
    if due_at is not None and done_at > due_at:
        return BREACHED
    return MET


def seconds_between(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def business_seconds(calendar: Calendar | None, start: datetime, end: datetime | None,
                     pauses: Sequence[tuple[datetime, datetime | None]]) -> int | None:
    """The time an SLA clock ran between start and end: business hours of the calendar,
    less the pauses; None without a calendar or an end."""
    if calendar is None or end is None:
        return None
    closed: list[Interval] = normalise_pauses(pauses, until=end)
    return max(0, int(elapsed(calendar, start, end, closed).total_seconds()))


def owner_set_by(value: Any) -> bool:
    """Whether a timeline value (an owner id, or a dict carrying `owner_id`) names an owner."""
    if isinstance(value, dict):
        return value.get("owner_id") is not None
    return value is not None


def case_facts(i: FactInputs) -> dict[str, Any]:
    """The values of the case's `CaseFact` row."""
    done = i.status in DONE_STATUSES
    resolved_at = i.resolved_at if done else None
    left_open_at = (resolved_at or i.closed_at) if done else None
    claimed_at = i.claimed_at
    if claimed_at is None and i.owner_id is not None:
        claimed_at = i.created_at
    return {
        "case_id": i.case_id,
        "tenant_id": i.tenant_id,
        "number": i.number,
        "status": i.status,
        "priority": i.priority,
        "category": i.category,
        "source": i.source,
        "queue_id": i.queue_id,
        "owner_id": i.owner_id,
        "account_id": i.account_id,
        "created_at": i.created_at,
        "first_response_at": i.first_response_at,
        "frt_seconds": seconds_between(i.created_at, i.first_response_at),
        "frt_business_seconds": business_seconds(i.calendar, i.created_at,
                                                 i.first_response_at, i.pauses),
        "resolved_at": resolved_at,
        "resolution_seconds": seconds_between(i.created_at, resolved_at),
        "resolution_business_seconds": business_seconds(i.calendar, i.created_at,
                                                        resolved_at, i.pauses),
        "closed_at": i.closed_at if done else None,
        "left_open_at": left_open_at,
        "reopen_count": i.reopen_count,
        "agent_replies": i.agent_replies,
        "claimed_at": claimed_at,
        "claim_wait_seconds": seconds_between(i.created_at, claimed_at),
        "first_response_outcome": outcome(
            has_policy=i.has_policy, done_at=i.first_response_at,
            due_at=i.first_response_due_at, breached_at=i.first_response_breached_at),
        "resolution_outcome": outcome(
            has_policy=i.has_policy, done_at=resolved_at, due_at=i.resolution_due_at,
            breached_at=i.resolution_breached_at),
        "csat_rating": i.csat_rating,
        "csat_satisfied": None if i.csat_rating is None else i.csat_rating >= SATISFIED_FROM,
        "csat_answered_at": i.csat_answered_at if i.csat_rating is not None else None,
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0..1) with linear interpolation between ranks, as PostgreSQL's
    `percentile_cont`; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share(part: int, whole: int) -> float | None:
    """part / whole as a fraction; None when there is nothing to divide."""
    return part / whole if whole else None


def change(current: float | None, previous: float | None) -> float | None:
    """The relative change from the previous figure; None when either is missing or the
    previous one is zero."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)
