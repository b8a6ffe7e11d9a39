"""The automation pages: the list, the editor (create, edit, refusals on the field, preview),
toggle, move, delete and the run log; managers read, agents are refused."""

from datetime import timedelta

import pytest

from casedesk.automation.models import AutomationRule, RuleRun
from casedesk.automation.services import RuleInput, rule_create
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

HX = {"HTTP_HX_REQUEST": "true"}
OUTAGE = {
    "name": "Urgent outages", "description": "", "trigger": "case_created", "match": "all",
    "is_enabled": "1",
    "c-0-field": "subject", "c-0-key": "", "c-0-op": "contains", "c-0-value": "outage",
    "actions-0-kind": "set_fields", "actions-0-priority": "urgent", "actions-0-tags_add": "vip",
    "action": "save",
}


@pytest.fixture(autouse=True)
def no_default_rules(tenant: Tenant, clock: Clock) -> None:
    AutomationRule.objects.filter(tenant=tenant).delete()


def make(tenant: Tenant, name: str = "Tag VIPs") -> AutomationRule:
    return rule_create(tenant=tenant, actor=None, now=NOW, data=RuleInput(
        name=name, actions=[{"kind": "set_fields", "tags_add": ["vip"]}]))


def test_create_through_the_form_and_the_rule_acts(admin: Membership, tenant: Tenant) -> None:
    client = login(admin)
    page = client.get("/automations/new")
    assert page.status_code == 200
    for testid in ("rule-name", "rule-trigger", "condition-field-0", "condition-op-0",
                   "condition-value-0", "action-kind-0", "rule-save"):
        assert f'data-testid="{testid}"' in page.content.decode()
    answer = client.post("/automations/new", OUTAGE)
    assert answer.status_code == 302
    rule = AutomationRule.objects.get(tenant=tenant)
    assert rule.created_by == admin.user
    assert rule.conditions == [{"field": "subject", "op": "contains", "value": "outage"}]
    assert rule.actions == [{"kind": "set_fields", "priority": "urgent", "tags_add": ["vip"]}]
    case = make_case(tenant, subject="Total outage", now=NOW)
    case.refresh_from_db()
    assert case.priority == 4 and "vip" in case.tags
    listing = client.get("/automations").content.decode()
    assert "Urgent outages" in listing and "Set priority to urgent" in listing


def test_time_trigger_and_other_kinds_from_the_form(admin: Membership, tenant: Tenant) -> None:
    data = {**OUTAGE, "trigger": "time", "time_amount": "5", "time_unit": "days",
            "time_anchor": "status_changed", "c-0-field": "status", "c-0-op": "equals",
            "c-0-value": "pending_customer",
            "actions-0-kind": "email", "actions-0-to": "contact",
            "actions-0-subject": "Any news?", "actions-0-body": "Hi {{ contact.name }}",
            "actions-1-kind": "create_task", "actions-1-subject": "Call back",
            "actions-1-due_in": "2", "actions-1-due_unit": "days", "actions-1-owner": "case_owner"}
    answer = login(admin).post("/automations/new", data)
    assert answer.status_code == 302
    rule = AutomationRule.objects.get(tenant=tenant)
    assert rule.trigger_options == {"anchor": "status_changed", "hours": 120}
    assert rule.actions[0] == {"kind": "email", "to": "contact", "subject": "Any news?",
                               "body": "Hi {{ contact.name }}"}
    assert rule.actions[1]["due_in_hours"] == 48
    assert rule.enabled_at == NOW
    edit = login(admin).get(f"/automations/{rule.pk}").content.decode()
    assert 'value="5"' in edit and "Any news?" in edit


def test_a_refusal_shows_on_the_form_and_nothing_is_saved(admin: Membership,
                                                          tenant: Tenant) -> None:
    data = {**OUTAGE, "actions-0-kind": "transition", "actions-0-status": "resolved",
            "actions-0-note": ""}
    answer = login(admin).post("/automations/new", data)
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "a move into resolved needs a note" in html
    assert 'class="action-row has-error"' in html
    assert not AutomationRule.objects.filter(tenant=tenant).exists()
    bad_name = login(admin).post("/automations/new", {**OUTAGE, "name": " "})
    assert bad_name.status_code == 422 and "needs a name" in bad_name.content.decode()


def test_form_buttons_add_and_remove_rows(admin: Membership) -> None:
    client = login(admin)
    added = client.post("/automations/new", {**OUTAGE, "action": "add_action"}, **HX)
    assert added.status_code == 200
    assert 'data-testid="action-kind-1"' in added.content.decode()
    removed = client.post("/automations/new", {**OUTAGE, "action": "remove:0"}, **HX)
    assert 'data-testid="condition-field-0"' not in removed.content.decode()


def test_preview_on_the_page(admin: Membership, tenant: Tenant) -> None:
    outage = make_case(tenant, subject="Outage in EU", now=NOW - timedelta(hours=1))
    answer = login(admin).post("/automations/new", {**OUTAGE, "action": "preview"}, **HX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert outage.display_number in html and "Set priority to urgent; add tag vip" in html
    assert not AutomationRule.objects.filter(tenant=tenant).exists()


def test_edit_toggle_move_delete(admin: Membership, tenant: Tenant) -> None:
    first, second = make(tenant, "First"), make(tenant, "Second")
    client = login(admin)
    edited = client.post(f"/automations/{first.pk}", {**OUTAGE, "name": "Renamed"})
    assert edited.status_code == 302
    first.refresh_from_db()
    assert first.name == "Renamed" and first.actions[0]["priority"] == "urgent"
    off = client.post(f"/automations/{first.pk}/toggle", {"enable": "0"}, **HX)
    assert off.status_code == 200 and "“Renamed” disabled." in off.content.decode()
    first.refresh_from_db()
    assert not first.is_enabled
    client.post(f"/automations/{second.pk}/move", {"direction": "up"}, **HX)
    assert list(AutomationRule.objects.filter(tenant=tenant).values_list("name", flat=True)) == [
        "Second", "Renamed"]
    client.post("/automations/reorder", {"rule_ids": f"{first.pk},{second.pk}"}, **HX)
    assert list(AutomationRule.objects.filter(tenant=tenant).values_list("name", flat=True)) == [
        "Renamed", "Second"]
    gone = client.post(f"/automations/{second.pk}/delete")
    assert gone.status_code == 302
    assert not AutomationRule.objects.filter(pk=second.pk).exists()


def test_run_log_page(admin: Membership, manager: Membership, tenant: Tenant) -> None:
    case = make_case(tenant, now=NOW)
    rule = make(tenant)
    RuleRun.objects.create(tenant=tenant, rule=rule, case=case, trigger="case_created",
                           outcome="failed", summary="", error="Mail server down",
                           created_at=NOW)
    page = login(manager).get(f"/automations/{rule.pk}/runs")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.display_number in html and "Mail server down" in html
    assert "1 run, 1 failed" in html
    assert "1 failed" in login(admin).get("/automations").content.decode()


def test_roles_and_tenants(admin: Membership, manager: Membership, agent: Membership,
                           other_tenant: Tenant, tenant: Tenant) -> None:
    mine = make(tenant)
    theirs = make(other_tenant, "Globex")
    reader = login(manager)
    assert reader.get("/automations").status_code == 200
    page = reader.get(f"/automations/{mine.pk}").content.decode()
    assert 'data-testid="rule-save"' not in page
    assert reader.get("/automations/new").status_code == 403
    assert reader.post(f"/automations/{mine.pk}", OUTAGE).status_code == 403
    assert reader.post(f"/automations/{mine.pk}/toggle", {"enable": "0"}).status_code == 403
    worker = login(agent)
    for path in ("/automations", f"/automations/{mine.pk}", f"/automations/{mine.pk}/runs"):
        assert worker.get(path).status_code == 403
    boss = login(admin)
    assert boss.get(f"/automations/{theirs.pk}").status_code == 404
    assert boss.get(f"/automations/{theirs.pk}/runs").status_code == 404
    assert boss.post(f"/automations/{theirs.pk}/delete").status_code == 404
    assert AutomationRule.objects.filter(pk=theirs.pk).exists()
