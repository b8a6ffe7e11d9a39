"""What routing records in the audit log: routing rules (create, update, switch, reorder,
delete), queues and their members, the skills map; one entry per change with its old and
new values, none for a refused change."""

from typing import Any

import pytest

from casedesk.core.errors import Invalid
from casedesk.routing import queues, services
from casedesk.routing.models import Queue, RoutingRule
from casedesk.routing.services import RuleInput
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import NOW, Api

RULE = {"name": "Billing to Finance",
        "conditions": [{"field": "category", "op": "equals", "value": "Billing"}],
        "actions": {"priority": "high"}}


def entries(tenant: Tenant, prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action__startswith=prefix)
                .order_by("id"))


def test_rule_lifecycle_through_the_api_is_recorded(clock, admin_api: Api, admin, tenant
                                                    ) -> None:
    created = admin_api.post("/routing/rules", RULE)
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert admin_api.patch(f"/routing/rules/{rule_id}", {"name": "Billing"}).status_code == 200
    assert admin_api.patch(f"/routing/rules/{rule_id}",
                           {"is_enabled": False}).status_code == 200
    other = admin_api.post("/routing/rules", {**RULE, "name": "Second"}).json()["id"]
    assert admin_api.post("/routing/rules/order",
                          {"rule_ids": [other, rule_id]}).status_code == 200
    assert admin_api.delete(f"/routing/rules/{rule_id}").status_code == 204

    log = entries(tenant, "routing_rule")
    assert [e.action for e in log] == [
        "routing_rule.created", "routing_rule.updated", "routing_rule.disabled",
        "routing_rule.created", "routing_rules.reordered", "routing_rule.deleted"]
    assert all((e.actor_id, e.via) == (admin.user_id, "api") for e in log)
    assert log[0].changes["conditions"] == [None, RULE["conditions"]]
    assert log[0].changes["actions"] == [None, {"priority": 3}]  # stored as its rung
    assert log[1].changes == {"name": ["Billing to Finance", "Billing"]}
    assert log[2].changes == {"is_enabled": [True, False]}
    assert log[4].changes == {"order": [[rule_id, other], [other, rule_id]]}
    assert log[5].changes["name"] == ["Billing", None]
    assert log[0].at == clock.now


def test_a_refused_rule_change_records_nothing(tenant, finance: Queue) -> None:
    rule = services.rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Rule", actions={"queue_id": finance.pk}))
    before = len(entries(tenant, "routing_rule"))
    with pytest.raises(Invalid):
        services.rule_update(rule=rule, changes={"name": ""}, now=NOW)
    with pytest.raises(Invalid):
        services.rules_reorder(tenant=tenant, rule_ids=[rule.pk, rule.pk])
    with pytest.raises(Invalid):
        services.rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name="Bad", conditions=[{"field": "nope", "op": "equals", "value": 1}]))
    assert len(entries(tenant, "routing_rule")) == before
    assert RoutingRule.objects.get(pk=rule.pk).name == "Rule"


def test_an_unchanged_rule_save_records_nothing(tenant) -> None:
    rule = services.rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Rule", actions={"tags": ["x"]}))
    services.rule_update(rule=rule, changes={"name": "Rule"}, now=NOW)
    assert [e.action for e in entries(tenant, "routing_rule")] == ["routing_rule.created"]


def test_queue_changes_are_recorded_with_members_by_address(
        clock, admin_api: Api, admin, agent, agent2, tenant) -> None:
    response = admin_api.post("/queues", {"name": "VIP", "member_ids": [agent.user_id]})
    assert response.status_code == 201, response.content
    queue_id = response.json()["id"]
    assert admin_api.patch(f"/queues/{queue_id}", {
        "member_ids": [agent.user_id, agent2.user_id]}).status_code == 200
    assert admin_api.patch(f"/queues/{queue_id}", {
        "name": "VIP desk", "strategy": "round_robin"}).status_code == 200
    assert admin_api.patch(f"/queues/{queue_id}", {"is_active": False}).status_code == 200
    log = entries(tenant, "queue.")
    assert [e.action for e in log] == ["queue.created", "queue.members_changed",
                                       "queue.updated", "queue.archived"]
    assert log[0].changes["members"] == [None, [agent.user.email]]
    assert log[1].changes == {"members": [[agent.user.email],
                                          sorted([agent.user.email, agent2.user.email])]}
    assert log[2].changes == {"name": ["VIP", "VIP desk"],
                              "strategy": ["manual", "round_robin"]}
    assert log[3].target_label == "VIP desk"


def test_joining_a_queue_is_recorded_as_the_members_own_act(agent2, tenant,
                                                            support_queue: Queue) -> None:
    queues.queue_join(queue=support_queue, membership=agent2)
    queues.queue_join(queue=support_queue, membership=agent2)  # in it already: no change
    [entry] = entries(tenant, "queue.")
    assert entry.action == "queue.members_changed"
    assert entry.actor_id == agent2.user_id
    assert agent2.user.email in entry.changes["members"][1]


def test_a_refused_queue_change_records_nothing(tenant, support_queue: Queue, outsider
                                                ) -> None:
    with pytest.raises(Invalid):
        queues.queue_set_members(queue=support_queue, member_ids=[outsider.user_id])
    with pytest.raises(Invalid):
        queues.queue_update(queue=support_queue, changes={"strategy": "coin_toss"})
    assert entries(tenant, "queue.") == []


def test_the_skills_map_is_recorded_old_and_new(clock, admin_api: Api, tenant) -> None:
    body: dict[str, Any] = {"requirements": [
        {"category": "Billing", "subcategory": "", "skills": ["billing"]}]}
    assert admin_api.put("/routing/skills", body).status_code == 200
    body["requirements"].append({"category": "Bug", "subcategory": "Crash",
                                 "skills": ["engineering"]})
    assert admin_api.put("/routing/skills", body).status_code == 200
    first, second = entries(tenant, "skill_requirements")
    assert first.changes == {"skills": [{}, {"Billing": ["billing"]}]}
    assert second.changes == {"skills": [{"Billing": ["billing"]},
                                         {"Billing": ["billing"],
                                          "Bug/Crash": ["engineering"]}]}
