"""The reports' rollup: one `CaseFact` row per case, kept up to date.

How it stays right (documented in docs/architecture.md and the README):
- Every change of a case runs `cases.hooks.cases_touched` in its own transaction (every
  timeline write does, and so do the few set-based changes that write no event), and
  `facts_mark_stale` upserts the case into `FactStale` there. The upsert takes the row's
  lock, so a refresh that holds it makes the change wait, and a change that holds it makes
  the refresh skip the row: no change is ever counted as refreshed before it committed.
- The worker's refresh (`facts_refresh`) takes stale rows with SKIP LOCKED, recomputes
  those cases' facts from the cases as they stand, and deletes the rows, in one
  transaction. Two workers never take the same case.
- `facts_rebuild` recomputes every fact from scratch; `facts_check` compares what is
  stored with a recomputation without writing (`casedesk reports_rebuild --check`).
The facts of a case are a pure function of what `_inputs` reads (`facts.case_facts`), so a
refreshed row and a rebuilt row are the same whenever nothing was missed.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.core.rows import insert_values
from casedesk.csat.models import Survey
from casedesk.reports.facts import DONE_STATUSES, FactInputs, case_facts, owner_set_by
from casedesk.reports.models import CaseFact, FactStale
from casedesk.sla.calendars import calendar_of
from casedesk.sla.clock import ALWAYS, Calendar
from casedesk.sla.models import BusinessCalendar, SlaPause
from casedesk.tenancy.models import Tenant

BATCH = 1000
FACT_FIELDS = tuple(f.attname for f in CaseFact._meta.concrete_fields)
_CLAIM_KINDS = (EventKind.CLAIMED, EventKind.OWNER_CHANGED, EventKind.ROUTED)


def facts_mark_stale(tenant_id: int, case_ids: list[int]) -> None:
    """Marks the cases' facts for refreshing, in the caller's transaction (the hook
    `cases.hooks.on_cases_touched`)."""
    insert_values(FactStale, ("case", "tenant"), [(pk, tenant_id) for pk in case_ids],
                  connection, on_conflict="ON CONFLICT (case_id) DO UPDATE"
                  " SET tenant_id = EXCLUDED.tenant_id")


def facts_refresh(*, batch: int = BATCH, limit: int | None = None) -> int:
    """Refreshes the facts of stale cases, `batch` cases per transaction, until none is
    left (or `limit` cases were done); returns how many."""
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with transaction.atomic():
            ids = list(FactStale.objects.select_for_update(skip_locked=True)
                       .order_by("case_id").values_list("case_id", flat=True)[:size])
            if not ids:
                break
            _write(ids)
            FactStale.objects.filter(case_id__in=ids).delete()
        done += len(ids)
    return done


def facts_rebuild(tenant: Tenant, *, batch: int = BATCH) -> int:
    """Recomputes every fact of the tenant from scratch, in batches of cases; returns how
    many cases."""
    done = 0
    for ids in _case_batches(tenant, batch):
        with transaction.atomic():
            _write(ids)
            FactStale.objects.filter(case_id__in=ids).delete()
        done += len(ids)
    with transaction.atomic():
        # Facts left of cases that are gone (a case's deletion takes its facts with it, so
        # this finds none unless rows were removed behind the ORM's back).
        _orphans(tenant).delete()
    return done


@dataclass(frozen=True)
class Difference:
    case_id: int
    field: str
    stored: Any
    computed: Any


def facts_check(tenant: Tenant, *, batch: int = BATCH) -> list[Difference]:
    """Where the stored facts of the tenant differ from a recomputation from scratch (a
    missing or extra row counts as one difference on `case_id`); writes nothing."""
    found: list[Difference] = []
    for ids in _case_batches(tenant, batch):
        stored = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=ids)}
        for values in _computed(ids):
            row = stored.get(values["case_id"])
            if row is None:
                found.append(Difference(values["case_id"], "case_id", None, values["case_id"]))
                continue
            for name in FACT_FIELDS:
                if getattr(row, name) != values[name]:
                    found.append(Difference(row.case_id, name, getattr(row, name), values[name]))
    found.extend(Difference(pk, "case_id", pk, None)
                 for pk in _orphans(tenant).values_list("case_id", flat=True))
    return found


def _orphans(tenant: Tenant) -> QuerySet[CaseFact]:
    """The tenant's facts whose case is gone. NOT EXISTS, not NOT IN: PostgreSQL runs a
    NOT IN over a million ids it cannot hash in work_mem as a nested scan (hours)."""
    return CaseFact.objects.filter(tenant=tenant).exclude(
        Exists(Case.objects.filter(tenant=tenant, pk=OuterRef("case_id"))))


def _case_batches(tenant: Tenant, batch: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(Case.objects.filter(tenant=tenant, pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _write(ids: list[int]) -> None:
    rows = [CaseFact(**values) for values in _computed(ids)]
    CaseFact.objects.filter(case_id__in=ids).delete()
    CaseFact.objects.bulk_create(rows)


def _computed(ids: list[int]) -> Iterator[dict[str, Any]]:
    return (case_facts(inputs) for inputs in _inputs(ids))


_CASE_COLUMNS = ("pk", "tenant_id", "number", "status", "priority", "category", "source",
                 "queue_id", "owner_id", "account_id", "created_at", "first_response_at",
                 "resolved_at", "closed_at", "sla_policy_id",
                 "sla_policy__calendar_id", "first_response_due_at",
                 "first_response_breached_at", "resolution_due_at", "resolution_breached_at")


def _inputs(ids: list[int]) -> Iterator[FactInputs]:
    """The cases with what else their facts depend on, read in a handful of queries."""
    cases = list(Case.objects.filter(pk__in=ids).order_by("pk").values(*_CASE_COLUMNS))
    calendars = _calendars({c["sla_policy__calendar_id"] for c in cases} - {None})
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for case_id, start, end in (SlaPause.objects.filter(case_id__in=ids)
                                .values_list("case_id", "started_at", "ended_at")):
        pauses[case_id].append((start, end))
    replies = dict(Note.objects.filter(case_id__in=ids, is_public=True, author__isnull=False)
                   .values("case_id").annotate(n=Count("pk")).values_list("case_id", "n"))
    claims: dict[int, datetime] = {}
    for case_id, value, at in (TimelineEvent.objects
                               .filter(case_id__in=ids, kind__in=_CLAIM_KINDS)
                               .order_by("id").values_list("case_id", "new_value", "created_at")):
        if case_id not in claims and owner_set_by(value):
            claims[case_id] = at
    reopens: dict[int, int] = defaultdict(int)
    for case_id, old, new in (TimelineEvent.objects
                              .filter(case_id__in=ids, kind=EventKind.STATUS_CHANGED)
                              .values_list("case_id", "old_value", "new_value")):
        if old in DONE_STATUSES and new not in DONE_STATUSES:
            reopens[case_id] += 1
    answers = {case_id: (rating, at) for case_id, rating, at in (
        Survey.objects.filter(case_id__in=ids, rating__isnull=False)
        .values_list("case_id", "rating", "answered_at"))}
    for c in cases:
        pk = c["pk"]
        has_policy = c["sla_policy_id"] is not None
        calendar_id = c["sla_policy__calendar_id"]
        rating, answered_at = answers.get(pk, (None, None))
        yield FactInputs(
            case_id=pk, tenant_id=c["tenant_id"], number=c["number"], status=c["status"],
            priority=c["priority"], category=c["category"], source=c["source"],
            queue_id=c["queue_id"], owner_id=c["owner_id"], account_id=c["account_id"],
            created_at=c["created_at"], first_response_at=c["first_response_at"],
            resolved_at=c["resolved_at"], closed_at=c["closed_at"],
            reopen_count=reopens.get(pk, 0), has_policy=has_policy,
            first_response_due_at=c["first_response_due_at"],
            first_response_breached_at=c["first_response_breached_at"],
            resolution_due_at=c["resolution_due_at"],
            resolution_breached_at=c["resolution_breached_at"],
            calendar=(calendars.get(calendar_id, ALWAYS) if calendar_id else ALWAYS)
            if has_policy else None,
            pauses=pauses.get(pk, ()), agent_replies=replies.get(pk, 0),
            claimed_at=claims.get(pk), csat_rating=rating, csat_answered_at=answered_at)


def _calendars(ids: Iterable[int]) -> dict[int, Calendar]:
    rows = BusinessCalendar.objects.filter(pk__in=list(ids)).prefetch_related("holidays")
    return {row.pk: calendar_of(row) for row in rows}
