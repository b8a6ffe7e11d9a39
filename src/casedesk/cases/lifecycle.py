"""The gated case lifecycle: which moves are allowed and what each move needs.

Pure decisions: no ORM, no clock. `plan_transition` either refuses a move with a reason that
names the allowed moves, or says which fields the move sets.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


ALLOWED_MOVES: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (Status.OPEN,),
    Status.OPEN: (Status.IN_PROGRESS,),
    Status.IN_PROGRESS: (Status.PENDING_CUSTOMER, Status.RESOLVED),
    Status.PENDING_CUSTOMER: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.OPEN),
    Status.CLOSED: (Status.OPEN,),
}

OPEN_STATUSES: tuple[Status, ...] = (
    Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.PENDING_CUSTOMER,
)
DONE_STATUSES: tuple[Status, ...] = (Status.RESOLVED, Status.CLOSED)
NOTE_REQUIRED: frozenset[Status] = frozenset({Status.RESOLVED, Status.CLOSED})


def is_done(status: str) -> bool:
    """Resolved or closed: the work is over (the SLA clocks stop)."""
    return status in DONE_STATUSES


class TransitionRefused(Exception):  # noqa: N818 - a refusal, not a malfunction
    """The move is not allowed now; `detail` says why and what is allowed instead."""

    def __init__(self, detail: str, *, allowed: tuple[Status, ...] = (),
                 field: str | None = None, follow_up: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.allowed = allowed
        self.field = field
        self.follow_up = follow_up


@dataclass(frozen=True)
class ReopenPolicy:
    limit: int = 1
    window: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class CaseState:
    """What the lifecycle needs to know about a case to judge a move."""

    status: Status
    closed_at: datetime | None = None
    reopen_count: int = 0
    open_assignments: int = 0
    # The numbers of its open child cases, when the tenant holds a parent until its children
    # close (empty otherwise).
    open_children: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionPlan:
    """An allowed move and the fields it sets on the case."""

    from_status: Status
    to_status: Status
    changes: dict[str, object] = field(default_factory=dict)
    is_reopen: bool = False


def allowed_moves(status: Status) -> tuple[Status, ...]:
    return ALLOWED_MOVES[status]


def is_open(status: Status) -> bool:
    return status in OPEN_STATUSES


def _names(statuses: tuple[Status, ...]) -> str:
    return ", ".join(s.value for s in statuses) or "none"


def _listed(numbers: tuple[str, ...], most: int = 10) -> str:
    shown = ", ".join(numbers[:most])
    return f"{shown} and {len(numbers) - most} more" if len(numbers) > most else shown


def reopen_refusal(state: CaseState, policy: ReopenPolicy, now: datetime) -> str | None:
    """Why a closed case may not re-open now, or None when it may."""
    if state.reopen_count >= policy.limit:
        times = "once" if policy.limit == 1 else f"{policy.limit} times"
        return (f"This case was re-opened {times} already; create a follow-up case instead.")
    if state.closed_at is not None and now - state.closed_at > policy.window:
        hours = policy.window.total_seconds() / 3600
        return (f"This case closed more than {hours:g} hours ago; "
                "create a follow-up case instead.")
    return None


def plan_transition(
    state: CaseState,
    target: Status | str,
    *,
    note: str = "",
    closed_reason: str = "",
    closed_reasons: frozenset[str] | set[str] = frozenset(),
    policy: ReopenPolicy = ReopenPolicy(),
    now: datetime,
) -> TransitionPlan:
    """Judges moving a case in `state` to `target`; raises TransitionRefused or returns a plan."""
    current = state.status
    allowed = ALLOWED_MOVES[current]
    try:
        to = Status(target)
    except ValueError:
        raise TransitionRefused(
            f"Unknown status {target!r}. Allowed moves from {current.value}: {_names(allowed)}.",
            allowed=allowed, field="to",
        ) from None
    if to == current:
        raise TransitionRefused(
            f"The case is {current.value} already. Allowed moves: {_names(allowed)}.",
            allowed=allowed,
        )
    if to not in allowed:
        raise TransitionRefused(
            f"Cannot move a case from {current.value} to {to.value}. "
            f"Allowed moves from {current.value}: {_names(allowed)}.",
            allowed=allowed,
        )
    note = note.strip()
    if to in NOTE_REQUIRED and not note:
        raise TransitionRefused(f"Moving a case to {to.value} needs a note.", allowed=allowed,
                                field="note")
    changes: dict[str, object] = {"status": to.value}
    is_reopen = False
    if to == Status.CLOSED:
        if not closed_reason:
            raise TransitionRefused(
                "Closing a case needs a closed reason "
                f"(one of: {', '.join(sorted(closed_reasons)) or 'none configured'}).",
                allowed=allowed, field="closed_reason",
            )
        if closed_reasons and closed_reason not in closed_reasons:
            raise TransitionRefused(
                f"{closed_reason!r} is not a closed reason of this tenant "
                f"(one of: {', '.join(sorted(closed_reasons))}).",
                allowed=allowed, field="closed_reason",
            )
        if state.open_assignments:
            count = state.open_assignments
            raise TransitionRefused(
                f"The case has {count} open case assignment{'s' if count != 1 else ''}; "
                "close them before closing the case.",
                allowed=allowed,
            )
        if state.open_children:
            raise TransitionRefused(
                f"The case has open child cases ({_listed(state.open_children)}); "
                "resolve or close them before closing the case.",
                allowed=allowed,
            )
        changes.update(closed_at=now, closed_reason=closed_reason, closure_note=note)
    elif to == Status.RESOLVED:
        changes.update(resolved_at=now)
    if current == Status.CLOSED and to == Status.OPEN:
        refusal = reopen_refusal(state, policy, now)
        if refusal:
            raise TransitionRefused(refusal, allowed=(), follow_up=True)
        is_reopen = True
        changes.update(reopen_count=state.reopen_count + 1)
    if current in DONE_STATUSES and to not in DONE_STATUSES:
        changes.update(resolved_at=None, closed_at=None, closed_reason="", closure_note="")
    return TransitionPlan(from_status=current, to_status=to, changes=changes, is_reopen=is_reopen)


def case_age(created_at: datetime, *, closed_at: datetime | None, now: datetime) -> timedelta:
    """How long the case has been (or was, once closed) in the desk."""
    end = closed_at or now
    return max(end - created_at, timedelta(0))
