"""Reads of cases: the filtered list, the inbox, the timeline. Always tenant-scoped."""

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime

from casedesk.cases import hooks
from casedesk.cases.lifecycle import OPEN_STATUSES
from casedesk.cases.models import (
    OPEN_STATUS_VALUES,
    Case,
    Note,
    PicklistKind,
    PicklistValue,
    Source,
    TimelineEvent,
)
from casedesk.core import clock
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.text import filter_search, is_storable
from casedesk.routing.models import Queue
from casedesk.sla.readings import breached_filter, breaching_within_filter
from casedesk.tenancy.models import Membership, Tenant

OPEN_VALUES = [s.value for s in OPEN_STATUSES]
MAX_SEARCH = 200
CASE_RELATED = ("tenant", "owner", "queue", "account", "contact", "follow_up_of", "sla_policy")


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


@dataclass
class CaseFilters:
    status: list[str] | None = None
    priority: list[int] | None = None
    queue_id: int | None = None
    no_queue: bool = False
    owner_id: int | None = None
    unassigned: bool = False
    account_id: int | None = None
    contact_id: int | None = None
    type: str | None = None
    category: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None
    open_only: bool = False
    # SLA: open cases with a breached target (marked by a sweep), or with a running clock
    # due within N hours (overdue ones not yet swept included), as of `now`.
    sla_breached: bool = False
    breaching_within_hours: int | None = None
    now: datetime | None = None
    # The customer's satisfaction answer: "good", "bad" or "rated" (`hooks.CSAT_FILTERS`).
    csat: str | None = None


def case_queryset(tenant: Tenant) -> QuerySet[Case]:
    return Case.objects.filter(tenant=tenant).select_related(*CASE_RELATED)


def _filtered(tenant: Tenant, f: CaseFilters) -> QuerySet[Case]:
    qs = case_queryset(tenant)
    if f.status:
        qs = qs.filter(status__in=f.status)
    elif f.open_only:
        qs = qs.filter(status__in=OPEN_VALUES)
    if f.priority:
        qs = qs.filter(priority__in=f.priority)
    if f.no_queue:
        qs = qs.filter(queue__isnull=True)
    elif f.queue_id is not None:
        qs = qs.filter(queue_id=f.queue_id)
    if f.unassigned:
        qs = qs.filter(owner__isnull=True)
    elif f.owner_id is not None:
        qs = qs.filter(owner_id=f.owner_id)
    if f.account_id is not None:
        qs = qs.filter(account_id=f.account_id)
    if f.contact_id is not None:
        qs = qs.filter(contact_id=f.contact_id)
    for name, value in (("type", f.type), ("category", f.category)):
        if value:
            # A value no stored text can hold (NUL, a lone surrogate) matches nothing.
            qs = qs.filter(**{name: value}) if is_storable(value) else qs.none()
    if f.created_after:
        qs = qs.filter(created_at__gte=f.created_after)
    if f.created_before:
        qs = qs.filter(created_at__lt=f.created_before)
    qs = filter_search(qs, f.q, ("subject", "description"), max_length=MAX_SEARCH)
    if f.sla_breached or f.breaching_within_hours is not None:
        qs = qs.filter(status__in=OPEN_VALUES)
        if f.sla_breached:
            qs = qs.filter(breached_filter())
        if f.breaching_within_hours is not None:
            now = f.now if f.now is not None else clock.now()
            qs = qs.filter(breaching_within_filter(now, f.breaching_within_hours))
    if f.csat:
        if f.csat not in hooks.CSAT_FILTERS:
            raise Invalid(f"csat is one of {', '.join(hooks.CSAT_FILTERS)}.", field="csat")
        qs = qs.filter(hooks.csat_condition(tenant.pk, f.csat))
    return qs


# Sortable columns of the case list: each sorts by (column, number) so the order is total and
# a keyset cursor can continue it.
SORT_FIELDS = {"number": "number", "created": "number", "priority": "priority",
               "updated": "updated_at"}


def parse_sort(sort: str) -> tuple[str, bool]:
    """(model field, descending) for a sort such as `-updated`; Invalid for anything else."""
    key = sort.strip().lstrip("-")
    if key not in SORT_FIELDS:
        raise Invalid(f"Unknown sort {sort!r}; one of: {', '.join(SORT_FIELDS)} "
                      "(prefix - for descending).", field="sort")
    return SORT_FIELDS[key], sort.strip().startswith("-")


def _cursor_value(field: str, raw: Any) -> Any:
    value: Any
    if field == "updated_at":
        try:
            value = parse_datetime(raw) if isinstance(raw, str) else None
            if value is not None and value.tzinfo is not None:
                value.astimezone(UTC)
        except (ValueError, OverflowError):
            value = None
    else:
        value = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if value is None:
        raise Invalid("The cursor is not valid.", field="cursor")
    return value


def case_list(tenant: Tenant, filters: CaseFilters, *, cursor: str | None = None,
              limit: int = 50, sort: str = "-number") -> Page:
    """Cases in `sort` order (newest first by default), one keyset page at a time.

    Keyset pages cost the same on page 1 and page 1,000, unlike OFFSET.
    """
    field, descending = parse_sort(sort)
    qs = _filtered(tenant, filters)
    lt = "lt" if descending else "gt"
    if field == "number":
        order = ["-number"] if descending else ["number"]
        if cursor:
            (last,) = decode_cursor(cursor, length=1)
            qs = qs.filter(**{f"number__{lt}": _cursor_value("number", last)})
    else:
        order = [f"-{field}", "-number"] if descending else [field, "number"]
        if cursor:
            raw_value, raw_number = decode_cursor(cursor, length=2)
            value, number = _cursor_value(field, raw_value), _cursor_value("number", raw_number)
            qs = qs.filter(Q(**{f"{field}__{lt}": value})
                           | Q(**{field: value, f"number__{lt}": number}))
    rows = list(qs.order_by(*order)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last_row = rows[limit - 1]
        if field == "number":
            next_cursor = encode_cursor([last_row.number])
        else:
            value = getattr(last_row, field)
            next_cursor = encode_cursor([value.isoformat() if field == "updated_at" else value,
                                         last_row.number])
    return Page(items=rows[:limit], next_cursor=next_cursor)


def _claim_order_key(row: tuple[int, datetime, int]) -> tuple[int, datetime, int]:
    priority, created_at, pk = row
    return (-priority, created_at, pk)


def _after_cursor(qs: QuerySet[Case], key: list[Any]) -> QuerySet[Case]:
    priority, created_raw, pk = key
    try:
        created = parse_datetime(created_raw) if isinstance(created_raw, str) else None
        if created is not None and created.tzinfo is not None:
            created.astimezone(UTC)  # a forged offset can push it out of datetime's range
    except (ValueError, OverflowError):
        created = None
    if not isinstance(priority, int) or not isinstance(pk, int) or created is None:
        raise Invalid("The cursor is not valid.", field="cursor")
    return qs.filter(
        Q(priority__lt=priority)
        | Q(priority=priority, created_at__gt=created)
        | Q(priority=priority, created_at=created, pk__gt=pk)
    )


def inbox_queue_ids(membership: Membership) -> list[int]:
    return list(Queue.objects.filter(tenant_id=membership.tenant_id, members=membership,
                                     is_active=True).values_list("pk", flat=True))


def inbox_cases(membership: Membership, *, cursor: str | None = None, limit: int = 50,
                queue_ids: list[int] | None = None) -> Page:
    """My open cases plus the unassigned open cases of my queues, in claim order.

    Each source is read by its own index in claim order and the streams are merged, so the
    cost follows the page size, not how many cases wait.
    """
    if queue_ids is None:
        queue_ids = inbox_queue_ids(membership)
    base = Case.objects.filter(tenant_id=membership.tenant_id, status__in=OPEN_VALUES)
    sources: list[QuerySet[Case]] = [base.filter(owner_id=membership.user_id)]
    sources += [base.filter(queue_id=qid, owner__isnull=True) for qid in queue_ids]
    key = decode_cursor(cursor, length=3) if cursor else None
    # Each stream reads only its sort keys (an index-only walk of a partial index); the
    # page's rows, with their related records, are then read in one query.
    streams = []
    for qs in sources:
        if key is not None:
            qs = _after_cursor(qs, key)
        streams.append(list(qs.order_by("-priority", "created_at", "id")
                            .values_list("priority", "created_at", "id")[: limit + 1]))
    merged = list(heapq.merge(*streams, key=_claim_order_key))[: limit + 1]
    rows = case_queryset(membership.tenant).in_bulk([pk for _, _, pk in merged[:limit]])
    items = [rows[pk] for _, _, pk in merged[:limit] if pk in rows]
    next_cursor = None
    if len(merged) > limit:
        priority, created_at, pk = merged[limit - 1]
        next_cursor = encode_cursor([priority, created_at.isoformat(), pk])
    return Page(items=items, next_cursor=next_cursor)


QUEUE_COUNT_CAP = 1000


def queue_counts(membership: Membership, queue_ids: list[int], *,
                 cap: int = QUEUE_COUNT_CAP) -> dict[int, int]:
    """Unassigned open cases waiting in each of the given queues, counted no further than
    `cap` (a LIMIT subquery per queue), so the inbox costs the same however long the queues
    grow; a count equal to `cap` means "cap or more"."""
    waiting = Case.objects.filter(tenant_id=membership.tenant_id, owner__isnull=True,
                                  status__in=OPEN_VALUES).order_by()
    return {qid: waiting.filter(queue_id=qid)[:cap].count() for qid in queue_ids}


def timeline_page(case: Case, *, cursor: str | None = None, limit: int = 100,
                  newest_first: bool = False) -> Page:
    """A case's history, oldest first (or newest first, for a feed read from the top)."""
    qs = (TimelineEvent.objects.filter(tenant_id=case.tenant_id, case=case)
          .select_related("actor", "note"))
    if cursor:
        (last_id,) = decode_cursor(cursor, length=1)
        if not isinstance(last_id, int):
            raise Invalid("The cursor is not valid.", field="cursor")
        qs = qs.filter(pk__lt=last_id) if newest_first else qs.filter(pk__gt=last_id)
    rows = list(qs.order_by("-id" if newest_first else "id")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def notes_of(case: Case) -> QuerySet[Note]:
    return (Note.objects.filter(tenant_id=case.tenant_id, case=case)
            .select_related("author").order_by("created_at", "id"))


def case_count_capped(tenant: Tenant, filters: CaseFilters, *, cap: int) -> int:
    """How many cases match, counting no further than `cap`: the count runs over a LIMIT
    subquery, so it costs the same at 1,000,000 cases as at 100 (the board's "50+")."""
    return _filtered(tenant, filters).order_by()[:cap].count()


def open_loads_of(tenant: Tenant, owner_ids: Sequence[int], leaving: int | None
                  ) -> list[tuple[int, int, int]]:
    """(owner, priority, open cases) for routing's strategies; `leaving`, a case being routed
    again, does not count against its current owner."""
    cases = Case.objects.filter(tenant=tenant, owner_id__in=list(owner_ids),
                                status__in=OPEN_STATUS_VALUES)
    if leaving is not None:
        cases = cases.exclude(pk=leaving)
    return list(cases.values_list("owner_id", "priority").annotate(n=Count("id")).order_by())


def latest_cases(tenant: Tenant, limit: int) -> list[Case]:
    """The tenant's latest cases, newest first, with account and contact (routing's preview)."""
    return list(Case.objects.filter(tenant=tenant)
                .select_related("tenant", "account", "contact")
                .order_by("-created_at", "-id")[:limit])


def waiting_by_queue(tenant: Tenant) -> dict[int, int]:
    """Open cases waiting without an owner in each queue (routing's queues page)."""
    return dict(Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES,
                                    owner__isnull=True, queue__isnull=False)
                .values_list("queue_id").annotate(n=Count("id")).order_by())


def case_field_values(tenant: Tenant) -> dict[str, list[str]]:
    """The values the category, subcategory, type and source of a case take, in the
    tenant's order: what the condition forms of routing and SLA suggest."""
    values: dict[str, list[str]] = {"category": [], "subcategory": [], "type": []}
    for kind, value in (PicklistValue.objects.filter(
            tenant=tenant, is_active=True,
            kind__in=[PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY, PicklistKind.TYPE])
            .order_by("position", "value").values_list("kind", "value")):
        if value not in values[kind]:
            values[kind].append(value)
    values["source"] = list(Source.values)
    return values


def open_cases_by_policy(tenant: Tenant, policy_ids: Sequence[int], cap: int) -> dict[int, int]:
    """How many open cases each SLA policy governs, counted no further than `cap` (a LIMIT
    subquery along the policy's index), so the policies page costs the same with a million
    cases. The SLA pages read it through `sla.hooks`."""
    open_cases = Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES).order_by()
    return {pk: open_cases.filter(sla_policy_id=pk)[:cap].count() for pk in policy_ids}
