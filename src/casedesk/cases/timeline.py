"""The case timeline's one writer.

Every change of a case records what happened here, in the same transaction as the change:
the case services one event at a time, the sweeps set-based. The timeline doubles as the
automation event log, so nothing writes `TimelineEvent` rows any other way.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection

from casedesk.cases.hooks import cases_touched, timeline_written
from casedesk.cases.models import Case, TimelineEvent
from casedesk.core.rows import MAX_INSERT_ROWS, insert
from casedesk.tenancy.models import User


def _insert(events: list[TimelineEvent]) -> list[TimelineEvent]:
    # Nearly every change writes one or two events: `core.rows.insert` writes them with SQL
    # made once per process, where `bulk_create` compiles it anew each time (for many rows
    # that hardly counts beside preparing each row's values).
    if len(events) > MAX_INSERT_ROWS:
        return TimelineEvent.objects.bulk_create(events, batch_size=2000)
    insert(events, connection)
    return events


def event(case: Case, actor: User | None, kind: str, now: datetime, **values: Any
          ) -> TimelineEvent:
    """An event about a case the caller holds (not yet written)."""
    return TimelineEvent(tenant_id=case.tenant_id, case=case, actor=actor, kind=kind,
                         created_at=now, **values)


def event_of(*, tenant_id: int, case_id: int, kind: str, now: datetime, **values: Any
             ) -> TimelineEvent:
    """An event about a case known by its id (a set-based change), by the system."""
    return TimelineEvent(tenant_id=tenant_id, case_id=case_id, actor=None, kind=kind,
                         created_at=now, **values)


def timeline_write(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """Writes the events and tells the apps that react to them (automation), in the
    caller's transaction."""
    written = _insert(list(events))
    if written:
        timeline_written(written)
    return written


def history_write(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """Writes events of history brought in from another desk (`cases.imported`), in the
    caller's transaction. They happened elsewhere, before: automation is not told (no rule
    or webhook may fire on them); only the cases' facts are marked stale."""
    written = _insert(list(events))
    by_tenant: dict[int, set[int]] = {}
    for e in written:
        by_tenant.setdefault(e.tenant_id, set()).add(e.case_id)
    for tenant_id, case_ids in by_tenant.items():
        cases_touched(tenant_id, sorted(case_ids))
    return written
