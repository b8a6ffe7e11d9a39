"""The automation rules API: CRUD, order, preview, run log; roles; other tenants' ids; 422s."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.automation.models import AutomationRule, RuleRun
from casedesk.automation.services import RuleInput, rule_create
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, Api, Clock
from tests.factories import make_case

RULE = {
    "name": "Urgent outages",
    "description": "Outages are urgent and VIP.",
    "trigger": "case_created",
    "conditions": [{"field": "subject", "op": "contains", "value": "outage"}],
    "actions": [{"kind": "set_fields", "priority": "urgent", "tags_add": ["vip"]}],
}


@pytest.fixture(autouse=True)
def no_default_rules(tenant: Tenant, clock: Clock) -> None:
    AutomationRule.objects.filter(tenant=tenant).delete()


def foreign_rule(other_tenant: Tenant) -> AutomationRule:
    return rule_create(tenant=other_tenant, actor=None, now=NOW, data=RuleInput(
        name="Globex", actions=[{"kind": "set_fields", "tags_add": ["x"]}]))


def test_admin_creates_reads_changes_and_deletes_a_rule(admin_api: Api) -> None:
    made = admin_api.post("/automation/rules", RULE)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["trigger_text"] == "case created"
    assert body["actions_text"] == ["set priority to urgent", "add tag vip"]
    assert body["runs"] == {"total": 0, "failed": 0, "last_run": None}
    rule_id = body["id"]
    assert admin_api.get(f"/automation/rules/{rule_id}").json()["name"] == "Urgent outages"
    changed = admin_api.patch(f"/automation/rules/{rule_id}", {
        "trigger": "time", "trigger_options": {"anchor": "status_changed", "hours": 120},
        "is_enabled": True})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["trigger_options"] == {"anchor": "status_changed", "hours": 120}
    assert changed.json()["trigger_text"] == "5 days after it entered its status"
    assert changed.json()["enabled_at"] is not None
    assert [r["id"] for r in admin_api.get("/automation/rules").json()] == [rule_id]
    assert admin_api.delete(f"/automation/rules/{rule_id}").status_code == 204
    assert admin_api.get(f"/automation/rules/{rule_id}").status_code == 404


def test_trigger_options_from_and_to(admin_api: Api) -> None:
    made = admin_api.post("/automation/rules", {**RULE, "trigger": "status_changed",
                                                "trigger_options": {"from": "open",
                                                                    "to": "resolved"}})
    assert made.status_code == 201, made.json()
    assert made.json()["trigger_options"] == {"from": "open", "to": "resolved"}


def test_reorder(admin_api: Api) -> None:
    a = admin_api.post("/automation/rules", {**RULE, "name": "A"}).json()["id"]
    b = admin_api.post("/automation/rules", {**RULE, "name": "B"}).json()["id"]
    answer = admin_api.post("/automation/rules/reorder", {"rule_ids": [b, a]})
    assert answer.status_code == 200
    assert [r["name"] for r in answer.json()] == ["B", "A"]
    refused = admin_api.post("/automation/rules/reorder", {"rule_ids": [b]})
    assert refused.status_code == 422 and refused.json()["field"] == "rule_ids"


def test_manager_reads_but_does_not_write_and_agent_is_refused(
        admin_api: Api, manager_api: Api, agent_api: Api, anonymous_api: Api) -> None:
    rule_id = admin_api.post("/automation/rules", RULE).json()["id"]
    assert manager_api.get("/automation/rules").status_code == 200
    assert manager_api.get(f"/automation/rules/{rule_id}/runs").status_code == 200
    assert manager_api.post("/automation/rules", RULE).status_code == 403
    assert manager_api.patch(f"/automation/rules/{rule_id}", {"name": "x"}).status_code == 403
    assert manager_api.delete(f"/automation/rules/{rule_id}").status_code == 403
    for path in ("/automation/rules", f"/automation/rules/{rule_id}",
                 f"/automation/rules/{rule_id}/runs"):
        assert agent_api.get(path).status_code == 403
    assert agent_api.post("/automation/rules/preview", RULE).status_code == 403
    assert anonymous_api.get("/automation/rules").status_code == 401


def test_another_tenants_rule_is_not_found(admin_api: Api, other_tenant: Tenant) -> None:
    theirs = foreign_rule(other_tenant)
    assert admin_api.get(f"/automation/rules/{theirs.pk}").status_code == 404
    assert admin_api.patch(f"/automation/rules/{theirs.pk}", {"name": "x"}).status_code == 404
    assert admin_api.delete(f"/automation/rules/{theirs.pk}").status_code == 404
    assert admin_api.get(f"/automation/rules/{theirs.pk}/runs").status_code == 404
    assert admin_api.get("/automation/rules").json() == []
    theirs.refresh_from_db()
    assert theirs.name == "Globex"


@pytest.mark.parametrize(("change", "field"), [
    ({"trigger": "never"}, "trigger"),
    ({"trigger": "time", "trigger_options": {"hours": 5, "anchor": "birthday"}},
     "trigger_options.anchor"),
    ({"trigger": "time"}, "trigger_options"),
    ({"trigger_options": {"bogus": 1}}, "trigger_options.bogus"),
    ({"actions": []}, "actions"),
    ({"actions": [{"kind": "fly"}]}, "actions.0.kind"),
    ({"actions": [{"kind": "add_note", "body": "{% debug %}"}]}, "actions"),
    ({"actions": [{"kind": "set_fields", "queue_id": 999999}]}, "actions"),
    ({"actions": [{"kind": "transition", "to": "resolved"}]}, "actions"),
    ({"conditions": [{"field": "password", "op": "equals", "value": "x"}]}, "conditions"),
    ({"name": ""}, "name"),
    ({"actions": [RULE["actions"][0]] * 11}, "actions"),
])
def test_bad_input_is_422_naming_the_field(admin_api: Api, change: dict[str, Any],
                                           field: str) -> None:
    answer = admin_api.post("/automation/rules", {**RULE, **change})
    assert answer.status_code == 422, answer.json()
    assert answer.json()["field"] == field
    assert admin_api.get("/automation/rules").json() == []


def test_null_in_a_patch_is_refused(admin_api: Api) -> None:
    rule_id = admin_api.post("/automation/rules", RULE).json()["id"]
    answer = admin_api.patch(f"/automation/rules/{rule_id}", {"name": None})
    assert answer.status_code == 422 and answer.json()["field"] == "name"


def test_preview_tries_a_draft_on_the_latest_cases(admin_api: Api, manager_api: Api,
                                                   tenant: Tenant) -> None:
    make_case(tenant, subject="Big outage", now=NOW - timedelta(hours=3))
    make_case(tenant, subject="Question", now=NOW - timedelta(hours=1))
    answer = manager_api.post("/automation/rules/preview", RULE)
    assert answer.status_code == 200, answer.json()
    rows = answer.json()
    assert [(r["subject"], r["matched"], r["would_run"]) for r in rows] == [
        ("Question", False, False), ("Big outage", True, True)]
    assert rows[1]["actions"] == "set priority to urgent; add tag vip"
    assert rows[1]["due"] is None
    assert not AutomationRule.objects.filter(tenant=tenant).exists()


def test_runs_are_paginated_newest_first(admin_api: Api, tenant: Tenant) -> None:
    case = make_case(tenant, now=NOW)
    rule = rule_create(tenant=tenant, actor=None, now=NOW, data=RuleInput(
        name="R", actions=[{"kind": "set_fields", "tags_add": ["x"]}]))
    for i in range(3):
        RuleRun.objects.create(tenant=tenant, rule=rule, case=case, trigger="case_created",
                               outcome="failed" if i == 1 else "done", summary=f"run {i}",
                               error="boom" if i == 1 else "",
                               created_at=NOW + timedelta(minutes=i))
    first = admin_api.get(f"/automation/rules/{rule.pk}/runs", limit=2).json()
    assert [r["summary"] for r in first["items"]] == ["run 2", "run 1"]
    assert first["items"][1]["error"] == "boom"
    assert first["items"][0]["case_number"] == case.display_number
    rest = admin_api.get(f"/automation/rules/{rule.pk}/runs", limit=2,
                         cursor=first["next_cursor"]).json()
    assert [r["summary"] for r in rest["items"]] == ["run 0"] and rest["next_cursor"] is None
    bad = admin_api.get(f"/automation/rules/{rule.pk}/runs", cursor="!!")
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
    listed = admin_api.get("/automation/rules").json()
    assert listed[0]["runs"]["total"] == 3 and listed[0]["runs"]["failed"] == 1
