"""The webhooks API: endpoints (admins change, managers read, agents refused; the secret for
admins only), the delivery log with its cursor, "send again", a test event, another tenant's
ids, and the SSRF refusal as a 422 on `url`."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings

from casedesk.automation import webhooks
from casedesk.automation.models import WebhookDelivery, WebhookEndpoint
from casedesk.automation.webhook_delivery import deliver_due_webhooks
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error, walk_pages
from tests.automation.test_webhooks_delivery import (  # noqa: F401 - the fixture
    Receiver,
    receiver_fixture,
)
from tests.conftest import NOW, Api, Clock
from tests.factories import make_case

GOOD = {"name": "Ops", "url": "http://127.0.0.1:9/hook", "events": ["case.created"]}


def _create(api: Api, **fields: object) -> dict:
    response = api.post("/webhooks", {**GOOD, **fields})
    assert response.status_code == 201, response.content
    return conforms(response, "POST", "/webhooks")


def test_admin_creates_reads_changes_and_deletes(admin_api: Api, manager_api: Api,
                                                 clock: Clock) -> None:
    made = _create(admin_api, events=["csat.received", "case.created", "case.created"],
                   payload_format="slack")
    assert made["events"] == ["case.created", "csat.received"]
    assert made["payload_format"] == "slack" and made["is_enabled"] is True
    assert len(made["secret"]) == 64 and made["created_at"] == "2026-11-23T09:00:00Z"
    path = f"/webhooks/{made['id']}"
    shown = conforms(manager_api.get(path), "GET", "/webhooks/{endpoint_id}")
    assert shown["secret"] is None and shown["name"] == "Ops"
    assert [e["id"] for e in manager_api.get("/webhooks").json()] == [made["id"]]
    assert admin_api.get("/webhooks").json()[0]["secret"] == made["secret"]
    clock.advance(hours=1)
    changed = admin_api.patch(path, {"name": "Ops room", "is_enabled": False,
                                     "rotate_secret": True})
    body = conforms(changed, "PATCH", "/webhooks/{endpoint_id}")
    assert body["name"] == "Ops room" and body["is_enabled"] is False
    assert body["disabled_at"] == "2026-11-23T10:00:00Z" and body["secret"] != made["secret"]
    assert body["updated_at"] == "2026-11-23T10:00:00Z"
    error(admin_api.patch(path, {"name": None}), 422, field="name")
    error(admin_api.patch(path, {"events": ["case.exploded"]}), 422)
    error(admin_api.patch(path, {"events": ["rule.webhook"]}), 422)
    assert admin_api.delete(path).status_code == 204
    error(admin_api.get(path), 404)
    assert not WebhookEndpoint.objects.exists()


def test_agents_are_refused_and_managers_only_read(agent_api: Api, manager_api: Api,
                                                   admin_api: Api,
                                                   anonymous_api: Api) -> None:
    made = _create(admin_api)
    path = f"/webhooks/{made['id']}"
    error(anonymous_api.get("/webhooks"), 401)
    for call in (agent_api.get("/webhooks"), agent_api.get(path),
                 agent_api.get(f"{path}/deliveries"), agent_api.post("/webhooks", GOOD)):
        error(call, 403)
    error(manager_api.post("/webhooks", GOOD), 403)
    error(manager_api.patch(path, {"name": "x"}), 403)
    error(manager_api.delete(path), 403)
    error(manager_api.post(f"{path}/test"), 403)
    assert WebhookEndpoint.objects.count() == 1


def test_another_tenants_ids_are_not_found(admin_api: Api, outsider_api: Api,
                                           other_tenant: Tenant) -> None:
    case = make_case(other_tenant, now=NOW)
    theirs = _create(outsider_api)
    hook = WebhookEndpoint.objects.get(pk=theirs["id"])
    webhooks.endpoint_send_test(endpoint=hook, now=NOW)
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    delivery = WebhookDelivery.objects.filter(event="case.created").get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    path = f"/webhooks/{hook.pk}"
    for call in (admin_api.get(path), admin_api.patch(path, {"name": "Mine"}),
                 admin_api.delete(path), admin_api.get(f"{path}/deliveries"),
                 admin_api.post(f"{path}/test"),
                 admin_api.post(f"/webhooks/deliveries/{delivery.pk}/redeliver")):
        error(call, 404)
    assert admin_api.get("/webhooks").json() == []
    hook.refresh_from_db()
    assert hook.name == "Ops" and WebhookDelivery.objects.count() == 2


def test_internal_urls_are_refused_with_the_setting_off(admin_api: Api) -> None:
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        for url in ("http://127.0.0.1/x", "http://10.1.2.3/x", "http://169.254.169.254/x",
                    "http://localhost/x"):
            error(admin_api.post("/webhooks", {**GOOD, "url": url}), 422, field="url",
                  mentions=("not allowed",))
    error(admin_api.post("/webhooks", {**GOOD, "url": "ftp://example.com/"}), 422, field="url")
    error(admin_api.post("/webhooks", {**GOOD, "url": "x" * 2001}), 422)
    error(admin_api.post("/webhooks", {**GOOD, "name": " "}), 422)
    error(admin_api.post("/webhooks", {**GOOD, "payload_format": "xml"}), 422)
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_pages_and_sends_again(admin_api: Api, manager_api: Api,
                                                tenant: Tenant, receiver: Receiver,
                                                clock: Clock) -> None:
    case = make_case(tenant, now=NOW)  # before the endpoint: its own case.created is not sent
    made = _create(admin_api, url=receiver.url())
    for _ in range(3):
        webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    test = admin_api.post(f"/webhooks/{made['id']}/test")
    assert conforms(test, "POST", "/webhooks/{endpoint_id}/test")["event"] == "webhook.test"
    deliver_due_webhooks(NOW)
    path = f"/webhooks/{made['id']}/deliveries"
    pages = walk_pages(manager_api, path, limit=3)
    assert [len(p) for p in pages] == [3, 1]
    items = [i for p in pages for i in p]
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    first = conforms(manager_api.get(path, limit=1), "GET",
                     "/webhooks/{endpoint_id}/deliveries")["items"][0]
    assert first["status"] == "delivered" and first["response_code"] == 200
    assert first["attempts"] == 1 and first["next_attempt_at"] is None
    oldest = items[-1]
    assert oldest["case_number"] == case.display_number
    clock.advance(hours=1)
    again = admin_api.post(f"/webhooks/deliveries/{oldest['id']}/redeliver")
    body = conforms(again, "POST", "/webhooks/deliveries/{delivery_id}/redeliver")
    assert body["status"] == "pending" and body["id"] > first["id"]
    assert body["created_at"] == "2026-11-23T10:00:00Z"
    error(admin_api.post(f"/webhooks/deliveries/{body['id']}/redeliver"), 409)
    error(manager_api.post(f"/webhooks/deliveries/{oldest['id']}/redeliver"), 403)
    deliver_due_webhooks(NOW + timedelta(hours=1))
    assert json.loads(receiver.requests[-1].body)["id"] == body["id"]
    assert manager_api.get(path, status="pending").json()["items"] == []
    error(manager_api.get(path, cursor="!!"), 422, field="cursor")
    error(manager_api.get(path, limit=101), 422)
    admin_api.patch(f"/webhooks/{made['id']}", {"is_enabled": False})
    error(admin_api.post(f"/webhooks/{made['id']}/test"), 409, mentions=("switched off",))


@pytest.mark.parametrize("path", ["/webhooks/0", "/webhooks/99999999999999999999",
                                  "/webhooks/deliveries/0/redeliver"])
def test_odd_ids_are_not_found_or_invalid(admin_api: Api, path: str) -> None:
    method = admin_api.post if path.endswith("redeliver") else admin_api.get
    assert method(path).status_code in (404, 422)
