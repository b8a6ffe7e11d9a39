"""The triage pages: the case page's "Suggested triage" panel and its one-click apply (with
and without htmx), and the admins' `/settings/assist`."""

import json
from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from casedesk.assist.models import TriageModel
from casedesk.assist.triage_services import TRAIN_TASK
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.tenancy.models import Membership, Tenant
from tests.assist.triage_helpers import BILLING, trained
from tests.conftest import NOW, login
from tests.factories import make_case

HTMX = {"HX-Request": "true"}


def panel_url(case: Case) -> str:
    return f"/cases/{case.display_number}/triage"


def apply_url(case: Case) -> str:
    return f"/cases/{case.display_number}/triage/apply"


def test_the_case_page_comes_with_the_triage_panel(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, **BILLING)
    browser = login(agent)
    page = browser.get(f"/cases/{case.display_number}")
    assert page.status_code == 200
    assert b'data-testid="triage-panel"' in page.content
    assert f'hx-get="{panel_url(case)}"'.encode() not in page.content
    assert b"assist/triage.js" in page.content
    # The page read again by the panel's script (htmx): the slot loads itself.
    again = browser.get(f"/cases/{case.display_number}", headers={"HX-Request": "true"})
    assert f'hx-get="{panel_url(case)}"'.encode() in again.content


def test_without_a_usable_model_the_panel_shows_a_muted_line(
    tenant: Tenant, agent: Membership
) -> None:
    TriageModel.objects.create(
        tenant=tenant,
        version=1,
        trained_at=NOW,
        trigger="command",
        trained_on=12,
        held_out=3,
        usable=False,
        reason="Too little history: 15 resolved cases.",
    )
    case = make_case(tenant, **BILLING)
    response = login(agent).get(panel_url(case))
    assert response.status_code == 200
    assert b'data-testid="triage-none"' in response.content
    assert b"triage-apply" not in response.content


def test_another_tenants_case_is_not_found(tenant: Tenant, outsider: Membership) -> None:
    case = make_case(tenant, **BILLING)
    client = login(outsider)
    assert client.get(panel_url(case)).status_code == 404
    response = client.post(apply_url(case), {"target": "category", "value": "Billing"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).category == ""


@pytest.mark.slow
def test_suggestions_are_applied_in_one_click_and_land_on_the_timeline(
    tenant: Tenant, agent: Membership
) -> None:
    model = trained(tenant)
    case = make_case(tenant, **BILLING, priority=2)
    client = login(agent)

    panel = client.get(panel_url(case), headers=HTMX)
    text = panel.content.decode()
    assert f'data-model-version="{model.version}"' in text
    assert 'data-testid="triage-category"' in text
    assert 'data-testid="triage-apply-category"' in text
    assert "%</span>" in text  # each suggestion's confidence

    # With htmx: the panel answers in place and tells the page the case changed.
    response = client.post(
        apply_url(case), {"target": "category", "value": "Billing"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "casedesk:case-changed" in json.loads(response["HX-Trigger"])
    assert b'data-testid="triage-flash"' in response.content
    case.refresh_from_db()
    assert case.category == "Billing"
    # Now the case carries it: the category agrees and has no button any more.
    assert b'data-testid="triage-apply-category"' not in response.content
    assert b'data-testid="triage-agrees"' in response.content
    change = TimelineEvent.objects.get(case=case, kind=EventKind.FIELD_CHANGED, field="category")
    assert (change.actor_id, change.new_value) == (agent.user_id, "Billing")

    # Without JavaScript: a form post, back to the case page with a message.
    response = client.post(apply_url(case), {"target": "priority", "value": "urgent"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    case.refresh_from_db()
    assert case.priority == 4


def test_a_refused_value_changes_nothing_and_says_why(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, **BILLING)
    client = login(agent)
    response = client.post(
        apply_url(case), {"target": "category", "value": "No such thing"}, headers=HTMX
    )
    assert response.status_code == 422
    assert response["X-Case-Partial"] == "1"
    assert b'data-testid="triage-error"' in response.content
    response = client.post(apply_url(case), {"target": "status", "value": "closed"}, headers=HTMX)
    assert response.status_code == 422
    assert not TimelineEvent.objects.filter(case=case, kind=EventKind.FIELD_CHANGED).exists()


def test_a_queue_suggestion_moves_the_case_to_that_queue(
    tenant: Tenant, agent: Membership, finance
) -> None:
    case = make_case(tenant, **BILLING)
    response = login(agent).post(apply_url(case), {"target": "queue", "value": finance.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.queue_id == finance.pk
    assert TimelineEvent.objects.filter(case=case, field="queue_id").exists()


# --- /settings/assist ---------------------------------------------------------------------------


def _queued(tenant: Tenant) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=TRAIN_TASK,
        args_kwargs={"args": [tenant.pk], "kwargs": {"trigger": "web"}},
        status="READY",
        run_after=NOW + timedelta(days=3650),
        backend_name="default",
        queue_name="default",
        priority=0,
    )


def test_admins_see_the_runs_with_their_scores_and_the_reason_of_an_unusable_one(
    tenant: Tenant, admin: Membership
) -> None:
    TriageModel.objects.create(
        tenant=tenant,
        version=1,
        trained_at=NOW - timedelta(days=2),
        trigger="schedule",
        trained_on=10,
        held_out=2,
        usable=False,
        reason="Too little history: 12 resolved cases.",
    )
    TriageModel.objects.create(
        tenant=tenant,
        version=2,
        trained_at=NOW,
        trigger="command",
        trained_on=480,
        held_out=120,
        usable=True,
        scores={
            "category": {"accuracy": 0.9, "baseline": 0.3, "classes": 5, "usable": True},
            "type": {"accuracy": 0.4, "baseline": 0.45, "classes": 4, "usable": False},
        },
    )
    page = login(admin).get("/settings/assist").content.decode()
    assert 'data-testid="assist-current-version">2<' in page
    assert "Too little history: 12 resolved cases." in page
    assert "Category: 90.0% (30.0%, 5 values)" in page
    assert "not suggested" in page
    assert 'data-testid="assist-train"' in page
    assert 'href="/settings/assist"' in login(admin).get("/settings/").content.decode()


def test_train_now_is_for_admins_and_queues_once(
    tenant: Tenant, admin: Membership, agent: Membership, manager: Membership
) -> None:
    assert login(agent).get("/settings/assist").status_code == 403
    page = login(manager).get("/settings/assist").content.decode()
    assert 'data-testid="assist-train"' not in page
    assert login(manager).post("/settings/assist/train").status_code == 403

    _queued(tenant)
    client = login(admin)
    page = client.get("/settings/assist").content.decode()
    assert 'data-testid="assist-queued"' in page
    response = client.post("/settings/assist/train", follow=True)
    assert "already queued" in response.content.decode()
    assert DBTaskResult.objects.filter(task_path=TRAIN_TASK).count() == 1
