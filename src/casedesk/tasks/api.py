"""The tasks API: a member's follow-ups, on a case or on their own (`/tasks`), and a case's
tasks (`/cases/{number}/tasks`). Every member may create tasks and change those they own or
made; managers and admins any task of the tenant (`tasks.access`)."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID, Error
from casedesk.core.text import text_problem
from casedesk.tasks import selectors, services
from casedesk.tasks.access import get_task_for_member
from casedesk.tasks.due import is_overdue
from casedesk.tasks.models import Task
from casedesk.tasks.schemas import TaskIn, TaskOut, TaskPage, TaskPatch
from casedesk.tenancy.api_auth import member
from casedesk.tenancy.models import Membership
from casedesk.tenancy.presenters import person

router = Router(tags=["tasks"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def task_out(task: Task, now: datetime) -> dict[str, Any]:
    contact = task.contact
    return {
        "id": task.pk, "subject": task.subject, "notes": task.notes, "due_at": task.due_at,
        "is_overdue": is_overdue(task.due_at, task.is_done, now),
        "owner": person(task.owner),
        "case_number": task.case.display_number if task.case is not None else None,
        "account": ({"id": task.account.pk, "name": task.account.name}
                    if task.account is not None else None),
        "contact": ({"id": contact.pk, "name": contact.name or contact.email}
                    if contact is not None else None),
        "is_done": task.is_done, "done_at": task.done_at, "done_by": person(task.done_by),
        "created_by": person(task.created_by), "made_by_rule_id": task.made_by_rule_id,
        "created_at": task.created_at, "updated_at": task.updated_at,
    }


def _in_range(name: str, moment: datetime | None) -> None:
    try:
        if moment is not None and moment.tzinfo is not None:
            moment.astimezone(UTC)  # the database compares in UTC
    except OverflowError:
        raise Invalid(f"{name} is out of range.", field=name) from None
    if moment is not None and moment.tzinfo is None:
        raise Invalid(f"{name} needs a time zone offset (e.g. Z or +01:00).", field=name)


def _owner_filter(membership: Membership, owner: str | None) -> int | None:
    if owner is None:
        return None
    if owner == "me":
        return membership.user_id
    if owner.isascii() and owner.isdecimal() and 0 < int(owner) <= MAX_ID:
        return int(owner)
    raise Invalid("owner must be a user id or `me`.", field="owner")


def _case_in_body(membership: Membership, number: str | None) -> Case | None:
    """A case a body names: another tenant's, or none, is a 422 naming the field."""
    if number is None:
        return None
    try:
        return get_case_for_member(membership, number)
    except NotFound as error:
        raise Invalid(error.detail, field="case") from None


@router.get("/tasks", response={200: TaskPage, **ERRORS}, summary="List tasks")
def list_tasks(
    request: HttpRequest,
    owner: str | None = Query(None, max_length=20, description="A user id, or `me`."),
    case: str | None = Query(None, max_length=30, description="A case number, e.g. CS-1042."),
    done: bool | None = Query(None, description="true: done tasks; false: open ones."),
    due_before: datetime | None = Query(None, description="Due before this moment."),
    overdue: bool = Query(False, description="Only open tasks past their due time."),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=100),
) -> Any:
    """The tasks you may see (those on cases, yours, those you made; managers: all), the
    earliest due first and undated ones last; pass `next_cursor` back as `cursor`."""
    membership = member(request)
    now = clock.now()
    _in_range("due_before", due_before)
    for name, value in (("case", case), ("cursor", cursor)):
        if value is not None and (problem := text_problem(value)) is not None:
            raise Invalid(f"{name} {problem}.", field=name)
    case_id = None
    if case is not None:
        try:
            case_id = get_case_for_member(membership, case).pk
        except NotFound as error:
            raise Invalid(error.detail, field="case") from None
    filters = selectors.TaskFilters(owner_id=_owner_filter(membership, owner), case_id=case_id,
                                    done=done, due_before=due_before,
                                    overdue_at=now if overdue else None)
    page = selectors.task_list(membership, filters, cursor=cursor, limit=limit)
    return {"items": [task_out(t, now) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/tasks", response={201: TaskOut, **ERRORS}, summary="Create a task")
def create_task(request: HttpRequest, payload: TaskIn) -> Any:
    """Any member may create a task, for themselves or another active member."""
    membership = member(request)
    _in_range("due_at", payload.due_at)
    now = clock.now()
    task = services.task_create(
        tenant=membership.tenant, actor=membership.user, subject=payload.subject, now=now,
        due_at=payload.due_at, owner_id=payload.owner_id,
        case=_case_in_body(membership, payload.case), account_id=payload.account_id,
        contact_id=payload.contact_id, notes=payload.notes)
    return 201, task_out(get_task_for_member(membership, task.pk), now)


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Read a task")
def get_task(request: HttpRequest, task_id: int) -> Any:
    return task_out(get_task_for_member(member(request), task_id), clock.now())


@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Change a task")
def patch_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Any:
    """Changes the fields sent (`null` clears the due time, owner, account or contact);
    `is_done` marks it done or open again. The owner, its maker, or a manager (else 403)."""
    membership = member(request)
    task = get_task_for_member(membership, task_id, write=True)
    changes = payload.dict(exclude_unset=True)
    _in_range("due_at", changes.get("due_at"))
    done = changes.pop("is_done", None)
    if "is_done" in payload.model_fields_set and done is None:
        raise Invalid("is_done cannot be null.", field="is_done")
    now = clock.now()
    if changes:
        task = services.task_update(task=task, actor=membership.user, changes=changes, now=now)
    if done is not None:
        task = services.task_set_done(task=task, done=done, actor=membership.user, now=now)
    return task_out(task, now)


@router.delete("/tasks/{task_id}", response={204: None, **ERRORS}, summary="Delete a task")
def delete_task(request: HttpRequest, task_id: int) -> Any:
    """The owner, its maker, or a manager (else 403)."""
    task = get_task_for_member(member(request), task_id, write=True)
    services.task_delete(task=task)
    return 204, None


@router.get("/cases/{number}/tasks", response={200: list[TaskOut], **ERRORS},
            summary="A case's tasks")
def case_tasks(request: HttpRequest, number: str) -> Any:
    """The case's tasks (every member sees them): open ones by due time, then done ones."""
    case = get_case_for_member(member(request), number)
    now = clock.now()
    return [task_out(t, now) for t in selectors.tasks_of_case(case)]
