"""What automation records in the audit log: rules (create, update, switch, reorder, delete),
webhooks (never their secret, nor the secret part of their address) and shared macros."""

import json

import pytest

from casedesk.automation import macros, services
from casedesk.automation.macros import MacroInput
from casedesk.automation.models import AutomationRule, WebhookEndpoint
from casedesk.automation.services import RuleInput
from casedesk.core.errors import Invalid
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import NOW, Api

TAG = [{"kind": "set_fields", "tags_add": ["vip"]}]
HOOK_PATH = "/services/T0/B0/sekr1tT0kenInThePath"
HOOK = {"name": "Ops", "url": f"http://127.0.0.1:9{HOOK_PATH}", "events": ["case.created"]}


def entries(tenant: Tenant, prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action__startswith=prefix)
                .order_by("id"))


def test_rule_changes_are_recorded(tenant, admin) -> None:
    rule = services.rule_create(tenant=tenant, actor=admin.user, now=NOW,
                                data=RuleInput(name="Tag VIPs", actions=TAG))
    services.rule_update(rule=rule, now=NOW, changes={"description": "For VIPs"})
    services.rule_update(rule=rule, now=NOW, changes={"is_enabled": False})
    other = services.rule_create(tenant=tenant, actor=None, now=NOW,
                                 data=RuleInput(name="Other", actions=TAG))
    order = [other.pk, rule.pk]
    existing = [pk for pk in AutomationRule.objects.filter(tenant=tenant)
                .order_by("position", "id").values_list("pk", flat=True)
                if pk not in order]
    services.rules_reorder(tenant=tenant, rule_ids=existing + order)
    services.rule_delete(rule=rule)
    log = entries(tenant, "automation_rule")
    assert [e.action for e in log] == [
        "automation_rule.created", "automation_rule.updated", "automation_rule.disabled",
        "automation_rule.created", "automation_rules.reordered", "automation_rule.deleted"]
    assert log[0].actor_id == admin.user_id
    assert log[0].changes["actions"][0] is None
    assert log[1].changes == {"description": ["", "For VIPs"]}
    assert log[5].changes["name"] == ["Tag VIPs", None]


def test_a_refused_rule_records_nothing(tenant) -> None:
    with pytest.raises(Invalid):
        services.rule_create(tenant=tenant, actor=None, now=NOW,
                             data=RuleInput(name="", actions=TAG))
    assert entries(tenant, "automation_rule") == []


def test_webhooks_are_recorded_without_their_secrets(clock, admin_api: Api, admin, tenant
                                                     ) -> None:
    made = admin_api.post("/webhooks", HOOK)
    assert made.status_code == 201, made.content
    endpoint_id = made.json()["id"]
    first_secret = made.json()["secret"]
    changed = admin_api.patch(f"/webhooks/{endpoint_id}", {"rotate_secret": True})
    assert changed.status_code == 200, changed.content
    second_secret = WebhookEndpoint.objects.get(pk=endpoint_id).secret
    assert admin_api.patch(f"/webhooks/{endpoint_id}",
                           {"url": "http://127.0.0.1:9/other"}).status_code == 200
    assert admin_api.patch(f"/webhooks/{endpoint_id}", {"is_enabled": False}).status_code == 200
    assert admin_api.delete(f"/webhooks/{endpoint_id}").status_code == 204
    log = entries(tenant, "webhook")
    assert [e.action for e in log] == [
        "webhook.created", "webhook.secret_rotated", "webhook.updated", "webhook.disabled",
        "webhook.deleted"]
    assert all((e.actor_id, e.via) == (admin.user_id, "api") for e in log)
    assert log[0].changes["secret"] == [None, "(secret)"]
    assert log[0].changes["url"][1].startswith("http://127.0.0.1:9/…#")
    assert log[2].changes["url"][1] == "http://127.0.0.1:9/…#" + log[2].changes["url"][1][-8:]
    assert log[2].changes["url"][0] != log[2].changes["url"][1]
    everything = json.dumps([[e.changes, e.detail, e.target_label]
                             for e in AuditEntry.objects.filter(tenant=tenant)])
    for secret in (first_secret, second_secret, "sekr1tT0kenInThePath"):
        assert secret not in everything


def test_shared_macros_are_recorded_personal_ones_are_not(tenant, admin, agent) -> None:
    shared = macros.macro_create(membership=admin, shared=True, now=NOW,
                                 data=MacroInput(name="Thanks", reply="Thank you!"))
    macros.macro_update(macro=shared, now=NOW, changes={"reply": "Many thanks!"})
    mine = macros.macro_create(membership=agent, shared=False, now=NOW,
                               data=MacroInput(name="Mine", reply="Hi"))
    macros.macro_update(macro=mine, now=NOW, changes={"reply": "Hello"})
    macros.macro_delete(macro=mine)
    with pytest.raises(Invalid):
        macros.macro_update(macro=shared, now=NOW, changes={"name": ""})
    macros.macro_delete(macro=shared)
    log = entries(tenant, "macro")
    assert [e.action for e in log] == ["macro.created", "macro.updated", "macro.deleted"]
    assert log[0].actor_id == admin.user_id
    assert log[1].changes == {"reply": ["Thank you!", "Many thanks!"]}
