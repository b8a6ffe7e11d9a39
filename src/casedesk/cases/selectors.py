"""Reads of cases: the filtered list, the inbox, the timeline. Always tenant-scoped."""

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from casedesk.cases import hooks
from casedesk.cases.lifecycle import OPEN_STATUSES
from casedesk.cases.list_sort import DEFAULT_SORT, sorted_page
from casedesk.cases.models import (
    OPEN_STATUS_VALUES,
    Case,
    CaseLink,
    EventKind,
    LinkKind,
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
    # The customer's satisfaction answer: "good", "bad" or "rated" (`hooks.CSAT_FILTERS`),
    # and when it was given (an answer range alone means "rated").
    csat: str | None = None
    csat_after: datetime | None = None
    csat_before: datetime | None = None
    # What the reports count, so a scorecard tile can list the cases behind its figure with
    # the same meaning (reports/facts.py): a manager's team (the owners who report to the
    # membership `team_id`, and the manager), the source, the account's tier, moments in
    # ranges [after, before), the cases open at a moment, an SLA target's result, re-opened
    # and one-touch cases.
    team_id: int | None = None
    source: str | None = None
    account_tier: str | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None
    first_response_after: datetime | None = None
    first_response_before: datetime | None = None
    open_at: datetime | None = None
    sla_result: str | None = None  # "<target>_<outcome>" (`SLA_RESULTS`)
    reopened: bool = False
    one_touch: bool = False
    # Parents with at least one child case still open (`cases.links`).
    has_open_children: bool = False


DONE_VALUES = ["resolved", "closed"]
SLA_TARGETS = ("first_response", "resolution")
SLA_OUTCOMES = ("met", "breached", "pending")
SLA_RESULTS = tuple(f"{t}_{o}" for t in SLA_TARGETS for o in SLA_OUTCOMES)
# Moment ranges: (filter field pair, case column).
_RANGES = (("resolved", "resolved_at"), ("closed", "closed_at"),
           ("first_response", "first_response_at"))


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
    if f.csat or f.csat_after or f.csat_before:
        answer = f.csat or "rated"
        if answer not in hooks.CSAT_FILTERS:
            raise Invalid(f"csat is one of {', '.join(hooks.CSAT_FILTERS)}.", field="csat")
        qs = qs.filter(hooks.csat_condition(tenant.pk, answer, since=f.csat_after,
                                            until=f.csat_before))
    if f.has_open_children:
        qs = qs.filter(Exists(CaseLink.objects.filter(
            tenant_id=tenant.pk, from_case_id=OuterRef("pk"), kind=LinkKind.PARENT_OF,
            to_case__status__in=OPEN_VALUES)))
    return _report_filtered(tenant, qs, f)


def _report_filtered(tenant: Tenant, qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    """The filters the reports' links use, each meaning what the reports count."""
    if f.team_id is not None:
        team = Membership.objects.filter(tenant_id=tenant.pk).filter(
            Q(manager_id=f.team_id) | Q(pk=f.team_id))
        qs = qs.filter(owner_id__in=team.values("user_id"))
    for name, value in (("source", f.source), ("account__tier", f.account_tier)):
        if value:
            qs = qs.filter(**{name: value}) if is_storable(value) else qs.none()
    for name, column in _RANGES:
        after, before = getattr(f, f"{name}_after"), getattr(f, f"{name}_before")
        if after is not None:
            qs = qs.filter(**{f"{column}__gte": after})
        if before is not None:
            qs = qs.filter(**{f"{column}__lt": before})
    if f.open_at is not None:
        qs = qs.filter(Q(created_at__lt=f.open_at), _open_at(f.open_at))
    if f.sla_result:
        if f.sla_result not in SLA_RESULTS:
            raise Invalid(f"sla_result is one of {', '.join(SLA_RESULTS)}.",
                          field="sla_result")
        target, outcome = f.sla_result.rsplit("_", 1)
        qs = qs.filter(sla_result_condition(target, outcome))
    if f.reopened:
        qs = qs.filter(Exists(_reopenings()))
    if f.one_touch:
        replies = Subquery(Note.objects.filter(case_id=OuterRef("pk"), is_public=True,
                                               author__isnull=False)
                           .order_by().values("case_id").annotate(n=Count("pk")).values("n"))
        qs = (qs.filter(resolved_at__isnull=False, status__in=DONE_VALUES)
              .annotate(agent_replies=Coalesce(replies, 0)).filter(agent_replies=1)
              .exclude(Exists(_reopenings())))
    return qs


def _open_at(moment: datetime) -> Q:
    """Not yet resolved or closed at `moment` (a case counts as gone from the backlog when it
    was resolved, or closed without a resolution; re-opening clears both)."""
    return (~Q(status__in=DONE_VALUES) | Q(resolved_at__gte=moment)
            | Q(resolved_at__isnull=True, closed_at__gte=moment)
            | Q(resolved_at__isnull=True, closed_at__isnull=True))


def _reopenings() -> QuerySet[TimelineEvent]:
    """The case's moves from resolved or closed back to an open status."""
    done = Q(old_value=DONE_VALUES[0]) | Q(old_value=DONE_VALUES[1])
    again = Q(new_value=DONE_VALUES[0]) | Q(new_value=DONE_VALUES[1])
    return TimelineEvent.objects.filter(done, ~again, case_id=OuterRef("pk"),
                                        kind=EventKind.STATUS_CHANGED)


def sla_result_condition(target: str, outcome: str) -> Q:
    """The cases whose SLA `target` (first_response, resolution) has `outcome` (met,
    breached, pending), as `reports.facts.outcome` decides it: breached when the sweep
    marked it or it was done after its due time; met when done in time; pending while not
    done. Only cases with a policy have one."""
    done_at = "first_response_at" if target == "first_response" else "resolved_at"
    done = Q(**{f"{done_at}__isnull": False})
    if target == "resolution":
        done &= Q(status__in=DONE_VALUES)
    marked = Q(**{f"{target}_breached_at__isnull": False})
    late = Q(**{f"{target}_due_at__isnull": False,
                f"{done_at}__gt": F(f"{target}_due_at")})
    in_time = (Q(**{f"{target}_due_at__isnull": True})
               | Q(**{f"{done_at}__lte": F(f"{target}_due_at")}))
    found = {"breached": marked | (done & late),
             "met": ~marked & done & in_time,
             "pending": ~marked & ~done}[outcome]
    return Q(sla_policy__isnull=False) & found


def case_list(tenant: Tenant, filters: CaseFilters, *, cursor: str | None = None,
              limit: int = 50, sort: str = DEFAULT_SORT) -> Page:
    """Cases in `sort` order (`cases.list_sort`; newest first by default), one keyset page at
    a time.

    Keyset pages cost the same on page 1 and page 1,000, unlike OFFSET.
    """
    only_open = filters.open_only or filters.sla_breached or (
        filters.breaching_within_hours is not None)
    narrowed = {"status": filters.status or (OPEN_VALUES if only_open else None),
                "priority": filters.priority}
    items, next_cursor = sorted_page(_filtered(tenant, filters), sort, cursor=cursor,
                                     limit=limit, narrowed=narrowed)
    return Page(items=items, next_cursor=next_cursor)


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


def cases_matching(tenant: Tenant, filters: CaseFilters) -> QuerySet[Case]:
    """Every case the list's filters match, unordered and unsliced: what an export streams."""
    return _filtered(tenant, filters)
