"""The tasks pages: "My tasks" (order, tabs, new task), the done checkbox, the edit page in
the tenant's zone, the case page's panel and the inbox's "Due today"."""

from datetime import UTC, datetime, timedelta
from typing import Any

from casedesk.tasks.models import Task
from casedesk.tasks.services import task_create
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

HTMX = {"HX-Request": "true"}


def _task(tenant: Tenant, actor: Membership, **fields: Any) -> Task:
    fields.setdefault("subject", "Call back")
    return task_create(tenant=tenant, actor=actor.user, now=NOW, **fields)


def _order(page: str, *subjects: str) -> list[str]:
    return sorted(subjects, key=page.index)


def test_my_tasks_show_overdue_first_then_by_due_then_undated(
        tenant: Tenant, agent: Membership, agent2: Membership, clock: Clock) -> None:
    case = make_case(tenant)
    _task(tenant, agent, subject="Zeta undated")
    _task(tenant, agent, subject="Later task", due_at=NOW + timedelta(days=2))
    late = _task(tenant, agent, subject="Overdue task", due_at=NOW - timedelta(hours=3),
                 case=case)
    _task(tenant, agent, subject="Soon task", due_at=NOW + timedelta(hours=1))
    _task(tenant, agent2, subject="Bob's task", due_at=NOW - timedelta(days=1), case=case)
    response = login(agent).get("/tasks")
    assert response.status_code == 200
    page = response.content.decode()
    assert _order(page, "Zeta undated", "Later task", "Overdue task", "Soon task") == [
        "Overdue task", "Soon task", "Later task", "Zeta undated"]
    assert "Bob&#x27;s task" not in page and "Bob's task" not in page
    row = page[page.index(f'id="task-{late.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "is-overdue" in row and "overdue-mark" in row
    assert f"/cases/{case.display_number}" in row


def test_the_all_tab_is_for_managers(tenant: Tenant, agent: Membership, agent2: Membership,
                                     manager: Membership, clock: Clock) -> None:
    _task(tenant, agent2, subject="Bob's private task")
    assert "private task" not in login(agent).get("/tasks?tab=all").content.decode()
    page = login(manager).get("/tasks?tab=all").content.decode()
    assert "private task" in page and "All open tasks" in page


def test_a_new_task_from_the_page(tenant: Tenant, agent: Membership, clock: Clock) -> None:
    case = make_case(tenant)
    client = login(agent)
    response = client.post("/tasks", {"subject": "Ring Peter", "due_at": "2026-11-25T14:30",
                                      "owner": str(agent.user_id), "case": case.display_number})
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.subject, task.case_id, task.owner_id, task.created_by_id) == (
        "Ring Peter", case.pk, agent.user_id, agent.user_id)
    refused = client.post("/tasks", {"subject": "x", "case": "CS-999999", "owner": ""})
    assert refused.status_code == 422
    assert "No case CS-999999" in refused.content.decode()
    assert Task.objects.count() == 1


def test_due_times_are_typed_and_shown_in_the_tenants_zone(tenant: Tenant, agent: Membership,
                                                           clock: Clock) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Europe/Berlin")
    task = _task(tenant, agent, due_at=NOW + timedelta(days=1))
    client = login(agent)
    edit = client.get(f"/tasks/{task.pk}/edit").content.decode()
    assert 'value="2026-11-24T10:00"' in edit  # 09:00 UTC is 10:00 in Berlin in November
    response = client.post(f"/tasks/{task.pk}/edit", {
        "subject": "Call back", "due_at": "2026-11-26T08:15", "owner": str(agent.user_id),
        "notes": "Ask about the invoice"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_at == datetime(2026, 11, 26, 7, 15, tzinfo=UTC)
    assert task.notes == "Ask about the invoice"


def test_the_done_checkbox_with_and_without_htmx(tenant: Tenant, agent: Membership,
                                                 agent2: Membership, clock: Clock) -> None:
    task = _task(tenant, agent, case=make_case(tenant))
    client = login(agent)
    plain = client.post(f"/tasks/{task.pk}/done", {"done": "1", "next": "/tasks?tab=done"})
    assert (plain.status_code, plain["Location"]) == (302, "/tasks?tab=done")
    task.refresh_from_db()
    assert (task.is_done, task.done_by_id, task.done_at) == (True, agent.user_id, NOW)
    htmx = client.post(f"/tasks/{task.pk}/done", {}, headers=HTMX)
    assert htmx.status_code == 204 and htmx["HX-Trigger"] == "casedesk:tasks-changed"
    task.refresh_from_db()
    assert not task.is_done
    refused = login(agent2).post(f"/tasks/{task.pk}/done", {"done": "1"}, headers=HTMX)
    assert refused.status_code == 403
    task.refresh_from_db()
    assert not task.is_done


def test_the_case_panel_lists_and_adds(tenant: Tenant, agent: Membership, agent2: Membership,
                                       clock: Clock) -> None:
    case = make_case(tenant, owner_id=agent2.user_id)
    _task(tenant, agent, subject="Check the logs", case=case, due_at=NOW - timedelta(hours=1))
    client = login(agent)
    panel = client.get(f"/cases/{case.display_number}/tasks", headers=HTMX)
    assert panel.status_code == 200
    text = panel.content.decode()
    assert "Check the logs" in text and "overdue" in text
    # The quick add's owner is the case's owner.
    assert f'<option value="{agent2.user_id}" selected>' in text
    prefix = f"case-task-{case.number}"
    added = client.post(f"/cases/{case.display_number}/tasks/new", {
        f"{prefix}-subject": "Confirm with the customer", f"{prefix}-due_at": "2026-11-30T09:00",
        f"{prefix}-owner": str(agent2.user_id)}, headers=HTMX)
    assert added.status_code == 204 and added["HX-Trigger"] == "casedesk:tasks-changed"
    task = Task.objects.get(subject="Confirm with the customer")
    assert (task.case_id, task.owner_id) == (case.pk, agent2.user_id)
    refused = client.post(f"/cases/{case.display_number}/tasks/new",
                          {f"{prefix}-subject": " "}, headers=HTMX)
    assert refused.status_code == 422 and refused["X-Case-Partial"] == "1"
    assert 'class="error"' in refused.content.decode()
    assert login(agent).get("/cases/CS-999999/tasks").status_code == 404


def test_due_today_is_mine_until_midnight_in_the_tenants_zone(
        tenant: Tenant, agent: Membership, agent2: Membership, clock: Clock) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Asia/Tokyo")  # 18:00 there at NOW
    _task(tenant, agent, subject="Overdue since yesterday", due_at=NOW - timedelta(days=1))
    _task(tenant, agent, subject="Tonight", due_at=NOW + timedelta(hours=5, minutes=30))
    _task(tenant, agent, subject="After midnight", due_at=NOW + timedelta(hours=6, minutes=30))
    _task(tenant, agent, subject="Undated")
    _task(tenant, agent2, subject="Bob's today", due_at=NOW + timedelta(hours=1))
    done = _task(tenant, agent, subject="Done already", due_at=NOW)
    login(agent).post(f"/tasks/{done.pk}/done", {"done": "1"})
    page = login(agent).get("/tasks/due-today", headers=HTMX).content.decode()
    assert "Overdue since yesterday" in page and "Tonight" in page
    for absent in ("After midnight", "Undated", "Bob", "Done already"):
        assert absent not in page
    assert _order(page, "Tonight", "Overdue since yesterday") == [
        "Overdue since yesterday", "Tonight"]


def test_the_inbox_comes_with_due_today_and_the_nav_links_tasks(agent: Membership,
                                                                clock: Clock) -> None:
    page = login(agent).get("/inbox/cases").content.decode()
    assert 'data-testid="due-today"' in page  # rendered with the page, not loaded after it
    assert 'hx-get="/tasks/due-today"' in page  # and loaded again when a task changes
    assert 'hx-trigger="load' not in page
    assert 'href="/tasks"' in page


def test_another_tenants_task_pages_are_not_found(other_tenant: Tenant, outsider: Membership,
                                                  agent: Membership, clock: Clock) -> None:
    theirs = _task(other_tenant, outsider, case=make_case(other_tenant))
    client = login(agent)
    assert client.get(f"/tasks/{theirs.pk}/edit").status_code == 404
    assert client.post(f"/tasks/{theirs.pk}/done", {"done": "1"}).status_code == 404
    assert client.post(f"/tasks/{theirs.pk}/delete").status_code == 404
    assert Task.objects.filter(pk=theirs.pk, is_done=False).exists()


def test_the_edit_page_goes_back_only_to_this_site(tenant: Tenant, agent: Membership,
                                                   clock: Clock) -> None:
    task = _task(tenant, agent)
    client = login(agent)
    page = client.get(f"/tasks/{task.pk}/edit?next=javascript:alert(1)").content.decode()
    assert '<input type="hidden" name="next" value="">' in page
    assert 'href="/tasks">Cancel</a>' in page
    back = client.post(f"/tasks/{task.pk}/edit", {"subject": "x", "owner": "",
                                                   "next": "https://evil.example/"})
    assert back["Location"] == "/tasks"
    case = make_case(tenant)
    home = client.post(f"/tasks/{task.pk}/edit", {"subject": "x", "owner": "",
                                                   "next": f"/cases/{case.display_number}"})
    assert home["Location"] == f"/cases/{case.display_number}"
