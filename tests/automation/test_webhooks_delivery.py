"""Webhook delivery against a real HTTP receiver on loopback: the signature as the README
checks it, retries with backoff after 500s and timeouts, auto-disable with the admins' notice,
a hanging receiver that delays no other endpoint, the lease, and the SSRF check at save time
and again at delivery time."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from casedesk.automation import webhook_delivery, webhooks
from casedesk.automation.models import (
    AutomationRule,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from casedesk.automation.webhook_delivery import claim_due, deliver_due_webhooks
from casedesk.cases.models import Case
from casedesk.core.errors import Invalid
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import ContactFactory, make_case


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived


@dataclass
class Receiver:
    """An HTTP server on loopback: `/ok` answers 200, `/fail` 500, `/hang` waits until
    `release` is set (or 10 s), `/redirect` 302; `status` overrides the answer of `/ok`."""

    port: int
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hang_ended_at: list[float] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)

    def url(self, path: str = "/ok", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path.split("?")[0] == path]


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            got = state["r"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.requests.append(Received(self.path, dict(self.headers.items()), body,
                                         time.monotonic()))
            path = self.path.split("?")[0]
            if path == "/hang":
                got.release.wait(10)
                got.hang_ended_at.append(time.monotonic())
            status = {"/fail": 500, "/hang": 200, "/redirect": 302}.get(
                path, got.status.get(path, 200))
            answer = b"nope " * 400 if status >= 500 else b'{"ok": true}'
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                if status == 302:
                    self.send_header("Location", "/ok")
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up (timed out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    state["r"].release.set()
    server.shutdown()
    server.server_close()


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = 300) -> bool:
    """The README's recipe, as a receiver writes it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, fields["v1"])


def endpoint(tenant: Tenant, url: str, *, events: list[str] | None = None,
             payload_format: str = "json", name: str = "Receiver") -> WebhookEndpoint:
    return webhooks.endpoint_create(tenant=tenant, now=NOW, data=webhooks.EndpointInput(
        name=name, url=url, events=events if events is not None else ["case.created"],
        payload_format=payload_format))


@pytest.fixture
def case(tenant: Tenant) -> Case:
    contact = ContactFactory(tenant=tenant, name="Ann Customer", email="ann@example.com")
    return make_case(tenant, subject="Printer <on> fire & smoke", contact_id=contact.pk,
                     tags=["vip"], priority=4, now=NOW)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "REQUEST_TIMEOUT", 1.0)
    monkeypatch.setattr(webhook_delivery, "CONNECT_TIMEOUT", 1.0)


def test_a_delivery_is_signed_as_documented(tenant: Tenant, case: Case,
                                            receiver: Receiver) -> None:
    hook = endpoint(tenant, receiver.url("/ok?x=1"), events=["case.created", "csat.received"])
    assert webhooks.webhook_event_queue(case=case, event="case.created",
                                        data={"source": "api"}, now=NOW) == 1
    report = deliver_due_webhooks(NOW)
    assert report.delivered == 1 and "1 delivered" in report.summary()
    (got,) = receiver.requests
    assert got.path == "/ok?x=1"
    delivery = WebhookDelivery.objects.get()
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Casedesk-Event"] == "case.created"
    assert got.headers["X-Casedesk-Delivery"] == str(delivery.pk)
    assert got.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert verify(hook.secret, got.body, got.headers["X-Casedesk-Signature"],
                  int(NOW.timestamp()))
    assert not verify("wrong", got.body, got.headers["X-Casedesk-Signature"],
                      int(NOW.timestamp()))
    assert not verify(hook.secret, got.body + b" ", got.headers["X-Casedesk-Signature"],
                      int(NOW.timestamp()))
    body = json.loads(got.body)
    assert list(body)[0] == "id" and body["id"] == delivery.pk
    assert body["event"] == "case.created" and body["tenant"] == tenant.slug
    assert body["occurred_at"] == "2026-11-23T09:00:00Z"
    assert body["data"] == {"source": "api"}
    shown = body["case"]
    assert shown["number"] == case.display_number and shown["priority"] == "urgent"
    assert shown["contact"] == {"name": "Ann Customer", "email": "ann@example.com"}
    assert shown["tags"] == ["vip"] and shown["url"].endswith(f"/cases/{case.display_number}")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.response_code == 200 and delivery.response_excerpt == '{"ok": true}'
    assert delivery.delivered_at is not None and delivery.claimed_until is None
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code == 200 and attempt.duration_ms is not None
    # Delivered once: a second run finds nothing due.
    assert deliver_due_webhooks(NOW + timedelta(hours=1)).delivered == 0
    assert len(receiver.requests) == 1


def test_only_subscribed_enabled_endpoints_get_an_event(tenant: Tenant, other_tenant: Tenant,
                                                        case: Case, receiver: Receiver,
                                                        django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert webhooks.webhook_event_queue(case=case, event="case.created", data={},
                                            now=NOW) == 0
    endpoint(tenant, receiver.url(), events=["case.created"], name="A")
    endpoint(tenant, receiver.url(), events=["csat.received"], name="B")
    off = endpoint(tenant, receiver.url(), events=["case.created"], name="C")
    webhooks.endpoint_set_enabled(endpoint=off, enabled=False, now=NOW)
    endpoint(other_tenant, receiver.url(), events=["case.created"], name="Other")
    assert webhooks.webhook_event_queue(case=case, event="case.created", data={},
                                        now=NOW) == 1
    assert [d.endpoint.name for d in WebhookDelivery.objects.all()] == ["A"]
    with pytest.raises(Invalid):
        webhooks.webhook_event_queue(case=case, event="case.exploded", data={}, now=NOW)


def test_a_rule_posts_whatever_the_endpoint_subscribes_to(tenant: Tenant, other_tenant: Tenant,
                                                          case: Case,
                                                          receiver: Receiver) -> None:
    hook = endpoint(tenant, receiver.url(), events=[])
    foreign = endpoint(other_tenant, receiver.url())
    rule = AutomationRule.objects.create(tenant=tenant, name="Urgent to Slack",
                                         trigger="case_created", actions=[], created_at=NOW,
                                         updated_at=NOW)
    delivery = webhooks.webhook_rule_post(case=case, endpoint_id=hook.pk, rule_id=rule.pk,
                                          rule_name=rule.name, now=NOW)
    assert delivery.event == "rule.webhook" and delivery.rule_id == rule.pk
    deliver_due_webhooks(NOW)
    (got,) = receiver.requests
    assert got.headers["X-Casedesk-Event"] == "rule.webhook"
    assert json.loads(got.body)["data"] == {"rule": {"id": rule.pk, "name": "Urgent to Slack"}}
    with pytest.raises(Invalid):
        webhooks.webhook_rule_post(case=case, endpoint_id=foreign.pk, rule_id=1,
                                   rule_name="x", now=NOW)
    with pytest.raises(Invalid):
        webhooks.webhook_rule_post(case=case, endpoint_id=10**20, rule_id=1, rule_name="x",
                                   now=NOW)
    webhooks.endpoint_set_enabled(endpoint=hook, enabled=False, now=NOW)
    with pytest.raises(Invalid, match="switched off"):
        webhooks.webhook_rule_post(case=case, endpoint_id=hook.pk, rule_id=1, rule_name="x",
                                   now=NOW)
    assert WebhookDelivery.objects.count() == 1


def test_slack_format_posts_text_with_a_link(tenant: Tenant, case: Case,
                                             receiver: Receiver) -> None:
    hook = endpoint(tenant, receiver.url("/slack"), payload_format="slack")
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    deliver_due_webhooks(NOW)
    (got,) = receiver.requests
    body = json.loads(got.body)
    assert list(body) == ["text"]
    assert f"|{case.display_number}>" in body["text"]
    assert "Printer &lt;on&gt; fire &amp; smoke" in body["text"]
    assert "Priority: urgent" in body["text"] and "Status: " in body["text"]
    assert verify(hook.secret, got.body, got.headers["X-Casedesk-Signature"],
                  int(NOW.timestamp()))


def test_a_500_is_retried_with_growing_delays_until_it_succeeds(
        tenant: Tenant, case: Case, receiver: Receiver) -> None:
    hook = endpoint(tenant, receiver.url("/flaky"))
    receiver.status["/flaky"] = 500
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    assert deliver_due_webhooks(NOW).retrying == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.response_code == 500 and "HTTP 500" in delivery.error
    first_wait = delivery.next_attempt_at - NOW
    assert timedelta(seconds=30) <= first_wait < timedelta(seconds=35)
    assert deliver_due_webhooks(NOW + timedelta(seconds=20)).retrying == 0  # not due yet
    later = NOW + timedelta(seconds=40)
    deliver_due_webhooks(later)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert timedelta(seconds=60) <= delivery.next_attempt_at - later < timedelta(seconds=65)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 2
    receiver.status["/flaky"] = 204
    assert deliver_due_webhooks(later + timedelta(minutes=2)).delivered == 1
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert delivery.error == "" and hook.consecutive_failures == 0
    assert [a.response_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 500, 204]
    assert len(WebhookAttempt.objects.first().response_excerpt) == 1000  # type: ignore[union-attr]


def test_a_timeout_is_retried_and_the_last_attempt_fails_for_good(
        tenant: Tenant, case: Case, receiver: Receiver, fast: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "MAX_ATTEMPTS", 2)
    endpoint(tenant, receiver.url("/hang"))
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    started = time.monotonic()
    assert deliver_due_webhooks(NOW).retrying == 1
    assert time.monotonic() - started < 3
    delivery = WebhookDelivery.objects.get()
    assert "timed out" in delivery.error and delivery.response_code is None
    assert delivery.next_attempt_at - NOW >= timedelta(seconds=30)
    assert deliver_due_webhooks(NOW + timedelta(minutes=1)).failed == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert deliver_due_webhooks(NOW + timedelta(hours=5)).failed == 0
    assert len(receiver.on("/hang")) == 2


def test_redirects_and_refused_connections_are_failures(tenant: Tenant, case: Case,
                                                        receiver: Receiver) -> None:
    endpoint(tenant, receiver.url("/redirect"), name="Redirects")
    endpoint(tenant, "http://127.0.0.1:9/", name="Closed port")
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    assert deliver_due_webhooks(NOW).retrying == 2
    errors = {d.endpoint.name: d.error for d in WebhookDelivery.objects.all()}
    assert "redirects are not followed" in errors["Redirects"]
    assert "cannot connect" in errors["Closed port"]
    assert len(receiver.requests) == 1  # the redirect was not followed


def test_repeated_failures_switch_the_endpoint_off_and_tell_the_admins(
        tenant: Tenant, case: Case, admin: Membership, agent: Membership, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "DISABLE_AFTER", 3)
    hook = endpoint(tenant, receiver.url("/fail"))
    for _ in range(2):
        webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    moment = NOW
    for _ in range(2):
        deliver_due_webhooks(moment)
        moment += timedelta(minutes=10)
    hook.refresh_from_db()
    assert hook.is_enabled and hook.consecutive_failures == 2
    report = deliver_due_webhooks(moment)
    assert report.disabled == ["Receiver"]
    hook.refresh_from_db()
    assert not hook.is_enabled and hook.disabled_at is not None
    assert "3 failed attempts in a row" in hook.disabled_reason
    notices = Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)
    assert [(n.recipient_id, n.case_id) for n in notices] == [(admin.user_id, None)]
    assert "Receiver" in notices[0].message
    # Switched off: nothing more is posted or queued.
    posted = len(receiver.requests)
    deliver_due_webhooks(moment + timedelta(hours=2))
    assert len(receiver.requests) == posted
    assert webhooks.webhook_event_queue(case=case, event="case.created", data={},
                                        now=moment) == 0
    # On again: the run of failures is forgotten and the waiting rows are posted.
    webhooks.endpoint_update(endpoint=hook, changes={"is_enabled": True,
                                                     "url": receiver.url("/ok")}, now=moment)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.disabled_reason == ""
    assert deliver_due_webhooks(moment + timedelta(hours=3)).delivered >= 1


def test_a_hanging_receiver_delays_no_other_endpoint(tenant: Tenant, case: Case,
                                                     receiver: Receiver,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "REQUEST_TIMEOUT", 1.5)
    endpoint(tenant, receiver.url("/hang"), name="Hangs")
    endpoint(tenant, receiver.url("/ok"), name="Answers")
    for _ in range(3):
        webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    started = time.monotonic()
    threading.Timer(2.5, receiver.release.set).start()  # hangs past the timeout
    report = deliver_due_webhooks(NOW)
    took = time.monotonic() - started
    ok = receiver.on("/ok")
    assert len(ok) == 3
    # The good endpoint's posts all arrived at once, while the hanging one still waited; the
    # run ended with the hanging post's timeout, before the receiver let go.
    assert max(r.at for r in ok) - started < 1.0
    assert 1.4 < took < 2.4 and not receiver.hang_ended_at
    receiver.release.wait(5)
    # The hanging endpoint cost one post: its other rows were put back untried.
    assert len(receiver.on("/hang")) == 1
    assert report.delivered == 3
    states = sorted((d.endpoint.name, d.status, d.attempts)
                    for d in WebhookDelivery.objects.select_related("endpoint"))
    assert states == [("Answers", "delivered", 1)] * 3 + [
        ("Hangs", "pending", 0), ("Hangs", "pending", 0), ("Hangs", "pending", 1)]


def test_a_claimed_row_is_not_taken_twice_until_its_lease_ends(tenant: Tenant, case: Case,
                                                               receiver: Receiver) -> None:
    endpoint(tenant, receiver.url())
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    (claimed,) = claim_due(NOW)
    assert claim_due(NOW) == []
    assert claim_due(NOW + timedelta(minutes=4)) == []
    # The worker that claimed it died: after the lease, another worker posts it.
    again = claim_due(NOW + webhook_delivery.LEASE + timedelta(seconds=1))
    assert [d.pk for d in again] == [claimed.pk]


def test_redeliver_sends_a_new_copy_and_keeps_the_log(tenant: Tenant, case: Case,
                                                      receiver: Receiver) -> None:
    endpoint(tenant, receiver.url())
    webhooks.webhook_event_queue(case=case, event="case.created", data={"a": 1}, now=NOW)
    first = WebhookDelivery.objects.get()
    with pytest.raises(webhooks.Conflict):  # still waiting
        webhooks.delivery_redeliver(delivery=first, now=NOW)
    deliver_due_webhooks(NOW)
    first.refresh_from_db()
    again = webhooks.delivery_redeliver(delivery=first, now=NOW + timedelta(hours=1))
    assert again.pk != first.pk and again.payload == first.payload
    deliver_due_webhooks(NOW + timedelta(hours=1))
    ids = [json.loads(r.body)["id"] for r in receiver.requests]
    assert ids == [first.pk, again.pk]
    assert [r.headers["X-Casedesk-Delivery"] for r in receiver.requests] == [
        str(first.pk), str(again.pk)]


def test_a_test_event_has_no_case(tenant: Tenant, receiver: Receiver) -> None:
    hook = endpoint(tenant, receiver.url(), events=[])
    webhooks.endpoint_send_test(endpoint=hook, now=NOW)
    deliver_due_webhooks(NOW)
    body = json.loads(receiver.requests[0].body)
    assert body["event"] == "webhook.test" and body["case"] is None
    assert body["data"]["endpoint"] == {"id": hook.pk, "name": "Receiver"}
    hook = webhooks.endpoint_set_enabled(endpoint=hook, enabled=False, now=NOW)
    with pytest.raises(webhooks.Conflict):
        webhooks.endpoint_send_test(endpoint=hook, now=NOW)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.1.2.3/hook",
                                 "http://169.254.169.254/latest/meta-data",
                                 "http://localhost:8000/hook", "https://[::1]/hook",
                                 "http://0x7f000001/hook"])
def test_internal_urls_are_refused_when_saved(tenant: Tenant, url: str) -> None:
    with (override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False),
          pytest.raises(Invalid, match="not allowed|does not resolve") as refused):
        endpoint(tenant, url)
    assert refused.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http:///nohost", "javascript:alert(1)",
                                 "http://user:pw@example.com/", "not a url"])
def test_malformed_urls_are_refused(tenant: Tenant, url: str) -> None:
    with pytest.raises(Invalid) as refused:
        endpoint(tenant, url)
    assert refused.value.field == "url"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_internal_address_is_refused_again_at_delivery(tenant: Tenant, case: Case,
                                                          receiver: Receiver, host: str) -> None:
    endpoint(tenant, receiver.url(host=host))  # saved while the installation allowed it
    webhooks.webhook_event_queue(case=case, event="case.created", data={}, now=NOW)
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        assert deliver_due_webhooks(NOW).retrying == 1
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert "not allowed" in delivery.error and delivery.response_code is None
    # Allowed again (a LAN receiver the installation means to reach): it goes through.
    assert deliver_due_webhooks(NOW + timedelta(minutes=5)).delivered == 1
