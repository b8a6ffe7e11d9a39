"""The webhook pages: admins add, change, switch, rotate, test, send again and delete;
managers read without the secret; agents get a 403; another tenant's ids are 404; a refused
URL shows on its field. The delivery log shows what a real receiver answered."""

from datetime import timedelta

from django.test import override_settings

from casedesk.automation import webhooks
from casedesk.automation.models import WebhookDelivery, WebhookEndpoint
from casedesk.automation.webhook_delivery import deliver_due_webhooks
from casedesk.tenancy.models import Membership, Tenant
from tests.automation.test_webhooks_delivery import (  # noqa: F401 - the fixture
    Receiver,
    receiver_fixture,
)
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

LIST = "/automations/webhooks"


def _form(url: str, **extra: str) -> dict[str, object]:
    return {"name": "Ops", "url": url, "events": ["case.created", "case.sla_breached"],
            "payload_format": "json", "is_enabled": "on", **extra}


def test_admin_adds_an_endpoint_and_sees_what_the_receiver_answered(
        admin: Membership, tenant: Tenant, receiver: Receiver, clock: Clock) -> None:
    case = make_case(tenant, now=NOW)
    client = login(admin)
    assert client.get(LIST).status_code == 200
    response = client.post(LIST, _form(receiver.url("/fail")))
    hook = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{LIST}/{hook.pk}"
    assert hook.events == ["case.created", "case.sla_breached"] and hook.is_enabled
    page = client.get(f"{LIST}/{hook.pk}").content.decode()
    assert hook.secret in page and "Nothing posted to this endpoint yet" in page
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    deliver_due_webhooks(NOW)
    page = client.get(f"{LIST}/{hook.pk}").content.decode()
    assert "HTTP 500" in page and "nope nope" in page and case.display_number in page
    listing = client.get(LIST).content.decode()
    assert "Ops" in listing and "1 in a row" in listing
    # Send a test event, and send the failed one again once the receiver is fixed.
    client.post(f"{LIST}/{hook.pk}", _form(receiver.url("/ok")))
    assert client.post(f"{LIST}/{hook.pk}/test").status_code == 302
    WebhookDelivery.objects.filter(event="case.created").update(status="failed")
    first = WebhookDelivery.objects.get(event="case.created")
    response = client.post(f"/automations/webhooks/deliveries/{first.pk}/redeliver")
    assert response.status_code == 302
    deliver_due_webhooks(NOW + timedelta(minutes=1))
    assert [r.path for r in receiver.requests] == ["/fail", "/ok", "/ok"]
    page = client.get(f"{LIST}/{hook.pk}").content.decode()
    assert page.count("HTTP 200") == 2


def test_admin_rotates_switches_and_deletes(admin: Membership, tenant: Tenant,
                                            clock: Clock) -> None:
    client = login(admin)
    client.post(LIST, _form("http://127.0.0.1:9/x"))
    hook = WebhookEndpoint.objects.get()
    old = hook.secret
    client.post(f"{LIST}/{hook.pk}/rotate")
    hook.refresh_from_db()
    assert hook.secret != old and len(hook.secret) == 64
    client.post(f"{LIST}/{hook.pk}/toggle", {"enabled": "0"})
    client.post(f"{LIST}/{hook.pk}/toggle", {"enabled": "0"})  # a double click stays off
    hook.refresh_from_db()
    assert not hook.is_enabled
    assert "Switched off by an admin" in client.get(f"{LIST}/{hook.pk}").content.decode()
    response = client.post(f"{LIST}/{hook.pk}/test", follow=True)
    assert "switched off" in response.content.decode()
    client.post(f"{LIST}/{hook.pk}/toggle", {"enabled": "1"})
    hook.refresh_from_db()
    assert hook.is_enabled
    assert client.post(f"{LIST}/{hook.pk}/delete").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_url_shows_on_its_field(admin: Membership, tenant: Tenant) -> None:
    client = login(admin)
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        for url in ("http://169.254.169.254/latest", "http://10.1.2.3/", "http://localhost/"):
            response = client.post(LIST, _form(url))
            assert response.status_code == 422
            assert response.context["form"].errors["url"]
            assert "not allowed" in response.context["form"].errors["url"][0]
    response = client.post(LIST, _form("gopher://example.com/"))
    assert response.status_code == 422 and response.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_managers_read_without_the_secret_and_agents_are_refused(
        admin: Membership, manager: Membership, agent: Membership, tenant: Tenant) -> None:
    hook = webhooks.endpoint_create(tenant=tenant, now=NOW, data=webhooks.EndpointInput(
        name="Ops", url="http://127.0.0.1:9/x", events=[]))
    reader = login(manager)
    page = reader.get(f"{LIST}/{hook.pk}")
    assert page.status_code == 200 and hook.secret not in page.content.decode()
    assert reader.get(LIST).status_code == 200
    for path in (LIST, f"{LIST}/{hook.pk}/rotate", f"{LIST}/{hook.pk}/delete",
                 f"{LIST}/{hook.pk}/test", f"{LIST}/{hook.pk}/toggle"):
        assert reader.post(path, _form("http://127.0.0.1:9/y")).status_code == 403
    assert login(agent).get(LIST).status_code == 403
    assert login(agent).get(f"{LIST}/{hook.pk}").status_code == 403
    hook.refresh_from_db()
    assert hook.name == "Ops" and WebhookEndpoint.objects.count() == 1


def test_another_tenants_endpoint_and_delivery_are_not_found(
        admin: Membership, other_tenant: Tenant) -> None:
    theirs = webhooks.endpoint_create(tenant=other_tenant, now=NOW, data=webhooks.EndpointInput(
        name="Globex", url="http://127.0.0.1:9/x", events=[]))
    delivery = webhooks.endpoint_send_test(endpoint=theirs, now=NOW)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    client = login(admin)
    assert client.get(f"{LIST}/{theirs.pk}").status_code == 404
    for path in (f"{LIST}/{theirs.pk}", f"{LIST}/{theirs.pk}/rotate",
                 f"{LIST}/{theirs.pk}/delete", f"{LIST}/{theirs.pk}/test",
                 f"{LIST}/{theirs.pk}/toggle",
                 f"/automations/webhooks/deliveries/{delivery.pk}/redeliver"):
        assert client.post(path, _form("http://127.0.0.1:9/y")).status_code == 404
    assert "Globex" not in client.get(LIST).content.decode()
    assert WebhookDelivery.objects.count() == 1
    theirs.refresh_from_db()
    assert theirs.name == "Globex"
