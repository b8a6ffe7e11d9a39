"""Task reads, tenant-scoped by construction and narrowed to what the member may see.

A member sees the tasks on cases (every member sees every case), the tasks they own and
those they made; managers and admins see all of the tenant's."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet

from casedesk.cases.models import Case
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.rows import Related
from casedesk.core.schemas import MAX_ID
from casedesk.tasks.models import Task
from casedesk.tenancy.models import Membership

RELATED = ("owner", "case", "case__tenant", "account", "contact", "done_by", "created_by")
# The order "My tasks" shows open tasks in: the overdue ones are simply the earliest due.
BY_DUE = (F("due_at").asc(nulls_last=True), "pk")
CASE_PANEL_LIMIT = 100


def visible_tasks(membership: Membership) -> QuerySet[Task]:
    """The tenant's tasks the member may see (module docstring)."""
    qs = Task.objects.filter(tenant_id=membership.tenant_id)
    if membership.is_manager:
        return qs
    user_id = membership.user_id
    return qs.filter(Q(case__isnull=False) | Q(owner_id=user_id) | Q(created_by_id=user_id))


@dataclass(frozen=True)
class TaskFilters:
    owner_id: int | None = None
    case_id: int | None = None
    done: bool | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None  # open tasks due before this moment (the "now")


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


def _bad_cursor() -> Invalid:
    return Invalid("The cursor is not valid; use next_cursor from a previous page.",
                   field="cursor")


def _after(cursor: str) -> Q:
    """The rows after the cursor's (due time, id) in the BY_DUE order."""
    due_text, last = decode_cursor(cursor, length=2)
    if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
        raise _bad_cursor()
    if due_text is None:
        return Q(due_at__isnull=True, pk__gt=last)
    try:
        due = datetime.fromisoformat(due_text) if isinstance(due_text, str) else None
    except ValueError:
        due = None
    if due is None or due.tzinfo is None:
        raise _bad_cursor()
    return Q(due_at__gt=due) | Q(due_at=due, pk__gt=last) | Q(due_at__isnull=True)


def task_list(membership: Membership, filters: TaskFilters, *, cursor: str | None = None,
              limit: int = 50) -> TaskPage:
    """The member's visible tasks matching `filters`, earliest due first, undated last."""
    qs = visible_tasks(membership)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.case_id is not None:
        qs = qs.filter(case_id=filters.case_id)
    if filters.done is not None:
        qs = qs.filter(is_done=filters.done)
    if filters.due_before is not None:
        qs = qs.filter(due_at__lt=filters.due_before)
    if filters.overdue_at is not None:
        qs = qs.filter(is_done=False, due_at__lt=filters.overdue_at)
    if cursor:
        qs = qs.filter(_after(cursor))
    rows = list(qs.select_related(*RELATED).order_by(*BY_DUE)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.due_at.isoformat() if last.due_at else None,
                                     last.pk])
    return TaskPage(items=rows[:limit], next_cursor=next_cursor)


def tasks_done_recently(membership: Membership, *, owner_id: int | None,
                        limit: int = 100) -> list[Task]:
    """Done tasks, the latest done first (the "Done" tab)."""
    qs = visible_tasks(membership).filter(is_done=True)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return list(qs.select_related(*RELATED).order_by("-done_at", "-pk")[:limit])


# The case page shows the case's tasks at every opening: read by hand-written SQL
# (`core.rows`), the case being the one the page holds.
_OF_CASE = Related(Task, [name for name in RELATED if not name.startswith("case")])
_OF_CASE_WHERE = 't0."tenant_id" = %s AND t0."case_id" = %s AND t0."is_done" = %s'
_OPEN_ORDER = f'ORDER BY t0."due_at" ASC NULLS LAST, t0."id" ASC LIMIT {CASE_PANEL_LIMIT}'
_DONE_ORDER = f'ORDER BY t0."done_at" DESC, t0."id" DESC LIMIT {CASE_PANEL_LIMIT}'


def tasks_of_case(case: Case) -> list[Task]:
    """The case's tasks: open ones by due time, then the done ones, latest done first."""
    found = [task for is_done, order in ((False, _OPEN_ORDER), (True, _DONE_ORDER))
             for task in _OF_CASE.all(connection, _OF_CASE_WHERE,
                                      [case.tenant_id, case.pk, is_done], order)]
    for task in found:
        Task.case.field.set_cached_value(task, case)
    return found


def tasks_due_by(membership: Membership, end: datetime, *, limit: int = 50) -> list[Task]:
    """The member's own open tasks due before `end`, the overdue ones included."""
    return list(Task.objects.filter(tenant_id=membership.tenant_id,
                                    owner_id=membership.user_id, is_done=False,
                                    due_at__lt=end)
                .select_related(*RELATED).order_by("due_at", "pk")[:limit])
