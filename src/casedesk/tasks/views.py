"""The tasks pages: "My tasks" (`/tasks`: mine, all for managers, done; a new task), a
task's edit page, the done checkbox, the case page's panel and the inbox's "Due today".

A change made through htmx answers 204 with `HX-Trigger: casedesk:tasks-changed`: every
task list on the page (the case panel, "Due today", the "My tasks" table) listens for it and
loads itself again. Without JavaScript the forms post normally and go back to the page."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid, NotFound, PermissionDenied
from casedesk.core.forms import add_domain_error
from casedesk.core.pages import refused
from casedesk.core.redirects import redirect_back, safe_target
from casedesk.tasks import selectors, services
from casedesk.tasks.access import get_task_for_member, may_change
from casedesk.tasks.due import end_of_day, is_overdue
from casedesk.tasks.forms import NewTaskForm, TaskForm
from casedesk.tasks.models import Task
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required

TASKS_CHANGED = "casedesk:tasks-changed"
# The case page swaps a 4xx marked with this header in place of what was asked for.
PARTIAL_HEADER = "X-Case-Partial"
TABS = ("mine", "all", "done")
PAGE_SIZE = 100
FORM_FIELDS = {"owner_id": "owner", "case": "case"}


@dataclass(frozen=True)
class TaskRow:
    task: Task
    is_overdue: bool
    may_change: bool


def _rows(membership: Membership, tasks: list[Task], now: datetime) -> list[TaskRow]:
    return [TaskRow(task=t, is_overdue=is_overdue(t.due_at, t.is_done, now),
                    may_change=may_change(membership, t)) for t in tasks]


def _changed(request: PageRequest, message: str, back: str | None, fallback: str,
             *args: object) -> HttpResponse:
    """After a change: htmx gets 204 and the event the task lists listen for; a plain post
    goes back with the message."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = TASKS_CHANGED
        return response
    messages.success(request, message)
    return redirect_back(request, back, fallback, *args)


# --- "My tasks" --------------------------------------------------------------------------------

@member_required
@require_http_methods(["GET", "POST"])
def task_list(request: PageRequest) -> HttpResponse:
    membership = member(request)
    tab = request.GET.get("tab", "mine")
    if tab not in TABS or (tab == "all" and not membership.is_manager):
        tab = "mine"
    if request.method == "POST":
        form = NewTaskForm(request.POST, membership=membership)
        if form.is_valid():
            try:
                _create(membership, form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error, FORM_FIELDS)
            else:
                messages.success(request, "Task added.")
                return redirect("tasks:list")
        return _list_page(request, membership, tab, form, status=Invalid.status_code)
    form = NewTaskForm(initial={"owner": membership.user_id}, membership=membership)
    return _list_page(request, membership, tab, form)


def _create(membership: Membership, data: dict[str, Any], case: Case | None = None) -> Task:
    if case is None and data.get("case"):
        try:
            case = get_case_for_member(membership, data["case"])
        except NotFound as error:
            raise Invalid(error.detail, field="case") from None
    return services.task_create(
        tenant=membership.tenant, actor=membership.user, subject=data["subject"],
        now=clock.now(), due_at=data["due_at"], owner_id=data["owner"], case=case,
        notes=data["notes"])


def _list_page(request: PageRequest, membership: Membership, tab: str, form: NewTaskForm,
               *, status: int = 200) -> HttpResponse:
    now = clock.now()
    next_cursor = None
    if tab == "done":
        tasks = selectors.tasks_done_recently(membership, owner_id=membership.user_id,
                                              limit=PAGE_SIZE)
    else:
        filters = selectors.TaskFilters(
            owner_id=membership.user_id if tab == "mine" else None, done=False)
        try:
            page = selectors.task_list(membership, filters, limit=PAGE_SIZE,
                                       cursor=request.GET.get("cursor") or None)
        except Invalid:
            page = selectors.task_list(membership, filters, limit=PAGE_SIZE)
        tasks, next_cursor = page.items, page.next_cursor
    context = {"nav": "tasks", "tab": tab, "rows": _rows(membership, tasks, now),
               "form": form, "next_cursor": next_cursor, "here": request.get_full_path()}
    template = "tasks/list.html"
    if request.htmx and request.GET.get("partial") == "results":
        template += "#results"
    return render(request, template, context, status=status)


# --- one task ----------------------------------------------------------------------------------

@member_required
@require_http_methods(["GET", "POST"])
def task_edit(request: PageRequest, task_id: int) -> HttpResponse:
    membership = member(request)
    task = get_task_for_member(membership, task_id, write=True)
    back = request.POST.get("next") or request.GET.get("next")
    if request.method == "GET":
        form = TaskForm(membership=membership, initial={
            "subject": task.subject, "notes": task.notes, "owner": task.owner_id,
            "due_at": timezone.localtime(task.due_at) if task.due_at else None})
        return _edit_page(request, task, form, back)
    form = TaskForm(request.POST, membership=membership)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.task_update(task=task, actor=membership.user, now=clock.now(), changes={
                "subject": data["subject"], "notes": data["notes"], "due_at": data["due_at"],
                "owner_id": data["owner"]})
        except DomainError as error:
            add_domain_error(form, error, FORM_FIELDS)
        else:
            messages.success(request, "Task saved.")
            return redirect_back(request, back, "tasks:list")
    return _edit_page(request, task, form, back, status=Invalid.status_code)


def _edit_page(request: PageRequest, task: Task, form: TaskForm, back: str | None, *,
               status: int = 200) -> HttpResponse:
    # Only a path of this site goes back into the page (the Cancel link, the hidden field).
    safe = safe_target(request, back) or ""
    return render(request, "tasks/edit.html", {"nav": "tasks", "task": task, "form": form,
                                               "next": safe}, status=status)


@member_required
@require_POST
def task_done(request: PageRequest, task_id: int) -> HttpResponse:
    """The done checkbox: `done=1` marks the task done, its absence open again."""
    membership = member(request)
    back = request.POST.get("next")
    try:
        task = get_task_for_member(membership, task_id, write=True)
    except PermissionDenied as error:
        return refused(request, error, "tasks:list")
    done = request.POST.get("done") == "1"
    services.task_set_done(task=task, done=done, actor=membership.user, now=clock.now())
    return _changed(request, f"“{task.subject}” is {'done' if done else 'open again'}.", back,
                    "tasks:list")


@member_required
@require_POST
def task_delete(request: PageRequest, task_id: int) -> HttpResponse:
    membership = member(request)
    task = get_task_for_member(membership, task_id, write=True)
    services.task_delete(task=task)
    messages.success(request, f"Task “{task.subject}” deleted.")
    return redirect_back(request, request.POST.get("next"), "tasks:list")


# --- panels ------------------------------------------------------------------------------------

@member_required
@require_GET
def due_today(request: PageRequest) -> HttpResponse:
    """The inbox's panel: my open tasks due before the end of today (overdue included)."""
    return HttpResponse(due_today_html(request))


def due_today_html(request: PageRequest) -> SafeString:
    """The panel's content; the inbox page renders it with itself the first time."""
    membership = member(request)
    now = clock.now()
    tasks = selectors.tasks_due_by(membership, end_of_day(now, timezone.get_current_timezone()))
    return render_to_string("tasks/due_today.html",
                            {"rows": _rows(membership, tasks, now), "here": "/inbox/cases"},
                            request)


def _case_form(membership: Membership, case: Case, data: Any = None) -> TaskForm:
    owner = case.owner_id if case.owner_id is not None else membership.user_id
    return TaskForm(data, membership=membership, initial={"owner": owner},
                    prefix=f"case-task-{case.number}")


CASE_PANEL = "tasks/case_panel.html"


def _case_panel_context(membership: Membership, case: Case, form: TaskForm) -> dict[str, Any]:
    return {"case": case, "form": form,
            "rows": _rows(membership, selectors.tasks_of_case(case), clock.now()),
            "here": f"/cases/{case.display_number}"}


def case_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The case page's tasks panel as it first shows, for the case page to render with
    itself (console), instead of a request of its own."""
    membership = member(request)
    context = _case_panel_context(membership, case, _case_form(membership, case))
    return render_to_string(CASE_PANEL, context, request)


def _case_panel(request: PageRequest, membership: Membership, case: Case, form: TaskForm, *,
                status: int = 200) -> HttpResponse:
    response = render(request, CASE_PANEL, _case_panel_context(membership, case, form),
                      status=status)
    if status >= 400:
        response[PARTIAL_HEADER] = "1"  # swapped in all the same (console's case.js)
    return response


@member_required
@require_GET
def case_panel(request: PageRequest, number: str) -> HttpResponse:
    """The case page's panel: the case's tasks, a done checkbox each, a quick add."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    return _case_panel(request, membership, case, _case_form(membership, case))


@member_required
@require_POST
def case_task_add(request: PageRequest, number: str) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    form = _case_form(membership, case, request.POST)
    if form.is_valid():
        try:
            _create(membership, form.cleaned_data, case=case)
        except DomainError as error:
            add_domain_error(form, error, FORM_FIELDS)
        else:
            return _changed(request, "Task added.", None, "console:case_detail",
                            case.display_number)
    if not request.htmx:
        messages.error(request, "The task was not added: "
                       + " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("console:case_detail", case.display_number)
    return _case_panel(request, membership, case, form, status=Invalid.status_code)
