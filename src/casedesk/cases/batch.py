"""Set-based case services: one statement changes many cases at once, for the breach sweep
and the escalation rules. The caller holds the rows locked, in its own transaction, and
writes the timeline events and notifications with the change.

`updated_at` is left alone here: it tells when people last worked the case, which is what
"no update for N hours" escalations ask.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import F

from casedesk.cases.models import Case
from casedesk.core.priority import Priority
from casedesk.routing.models import Queue

CHUNK = 5000
# The SLA targets a case carries, each with its due, warned and breached columns.
TARGETS = ("first_response", "resolution", "next_response")


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def cases_raise_priority(ids: Sequence[int]) -> int:
    """Raises each case's priority one rung (urgent stays urgent); returns how many rose."""
    return sum(Case.objects.filter(pk__in=chunk, priority__lt=Priority.URGENT)
               .update(priority=F("priority") + 1) for chunk in _chunks(ids))


def cases_mark_breached(ids: Sequence[int], target: str, now: datetime) -> int:
    """Records that the cases breached `target` (one of TARGETS) at `now`."""
    if target not in TARGETS:
        raise ValueError(f"No SLA target {target!r}.")
    return sum(Case.objects.filter(pk__in=chunk).update(**{f"{target}_breached_at": now})
               for chunk in _chunks(ids))


def cases_mark_warned(ids: Sequence[int], target: str, now: datetime) -> int:
    """Records that the owners of the cases were warned of `target` coming due."""
    if target not in TARGETS[:2]:
        raise ValueError(f"No SLA warning for {target!r}.")
    return sum(Case.objects.filter(pk__in=chunk).update(**{f"{target}_warned_at": now})
               for chunk in _chunks(ids))


def cases_move_to_queue(ids: Sequence[int], queue: Queue) -> int:
    """Moves the cases to `queue` (of their tenant), unassigned, for its members to take."""
    return sum(Case.objects.filter(pk__in=chunk, tenant_id=queue.tenant_id)
               .update(queue=queue, owner=None) for chunk in _chunks(ids))
