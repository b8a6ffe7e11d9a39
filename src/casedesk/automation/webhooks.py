"""Webhooks: the tenant's endpoints (one function per change), the outbox rows the events and
the rules write (`webhook_event_queue`, `webhook_rule_post`), the bodies they carry and their
signature. Nothing here talks to the network except the DNS lookup that vets a URL as it is
saved; the posting is `automation.webhook_delivery`'s.

The body of a delivery is the JSON object stored on the row (`case_payload`) with the
delivery's `id` put first when it is sent; an endpoint in Slack format gets
`{"text": ...}` instead (`slack_body`), so a Slack incoming-webhook URL works as it is.

Signature: every post carries `X-Casedesk-Signature: t=<unix seconds>,v1=<hex>`, where hex is
HMAC-SHA256 over `f"{t}.{raw body}"` with the endpoint's secret as the key (`sign`). A
receiver recomputes it over the raw bytes it got, compares in constant time, and refuses a
`t` too far from its own clock (five minutes, say) so a captured post cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse

from casedesk.automation.models import (
    DeliveryStatus,
    PayloadFormat,
    WebhookDelivery,
    WebhookEndpoint,
)
from casedesk.cases.models import Case
from casedesk.core import net
from casedesk.core.access import tenant_row
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import check_text, one_line
from casedesk.tenancy.audit import (
    SECRET,
    audit_change,
    audit_created,
    audit_deleted,
    audit_record,
    audit_snapshot,
    updated_action,
)
from casedesk.tenancy.models import Membership, Tenant, User

EVENTS: dict[str, str] = {
    "case.created": "Case created",
    "case.updated": "Case updated (a field changed)",
    "case.status_changed": "Status changed",
    "case.note_added": "Agent note or reply added",
    "case.customer_replied": "Customer replied",
    "case.sla_warning": "SLA warning",
    "case.sla_breached": "SLA breached",
    "csat.received": "Satisfaction rating received",
    "rule.webhook": "Posted by a rule",
}
# A rule's post goes to its endpoint whatever the endpoint subscribes to, so it is no
# subscription of its own.
RULE_EVENT = "rule.webhook"
SUBSCRIBABLE = [name for name in EVENTS if name != RULE_EVENT]
TEST_EVENT = "webhook.test"
SCHEMES = ("http", "https")
SECRET_BYTES = 32
MAX_ENDPOINTS = 50  # per tenant: each one is a post per event


# --- signing and bodies -----------------------------------------------------------------------

def signature_hex(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of `f"{timestamp}.{body}"` keyed with the secret, in hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Casedesk-Signature` header's value."""
    return f"t={timestamp},v1={signature_hex(secret, timestamp, body)}"


def _jsonable(value: Any) -> Any:
    """`value` as JSON holds it (datetimes as ISO text), so the stored row is what is sent."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def case_url(case: Case) -> str:
    """The case page's address, for a receiver to link to (CASEDESK_BASE_URL, else
    localhost)."""
    base = str(settings.BASE_URL) or "http://localhost:8000"
    return base + reverse("console:case_detail", args=[case.display_number])


def _someone(name: str, email: str) -> dict[str, str]:
    return {"name": name, "email": email}


def case_payload(case: Case, event: str, data: dict[str, Any], *,
                 occurred_at: datetime | None = None) -> dict[str, Any]:
    """The JSON body of `event` on `case` (the delivery's `id` is put first when it is sent):
    the event, when it happened, the tenant's slug, the case as a receiver needs it, and
    `data` (what changed, the note, the rating: the caller's)."""
    owner, contact = case.owner, case.contact
    body: dict[str, Any] = {"event": event}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    body.update({
        "tenant": case.tenant.slug,
        "case": {
            "number": case.display_number, "subject": case.subject, "status": case.status,
            "priority": case.priority_name, "type": case.type, "category": case.category,
            "queue": case.queue.name if case.queue is not None else None,
            "owner": _someone(owner.display_name, owner.email) if owner is not None else None,
            "contact": (_someone(contact.name, contact.email) if contact is not None
                        else None),
            "tags": list(case.tags), "created_at": case.created_at, "url": case_url(case),
        },
        "data": data,
    })
    return dict(_jsonable(body))


def json_body(delivery: WebhookDelivery) -> bytes:
    """The casedesk JSON body of a delivery: its stored payload with its id first."""
    body = {"id": delivery.pk, **{k: v for k, v in delivery.payload.items() if k != "id"}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as its own markup (links, mentions).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(payload: dict[str, Any]) -> str:
    """One Slack message for a stored payload: what happened, the case as a link, its
    priority and status."""
    event = str(payload.get("event", ""))
    what = EVENTS.get(event, "Test event" if event == TEST_EVENT else event)
    case = payload.get("case")
    if not isinstance(case, dict):
        tenant = _slack_escape(str(payload.get("tenant", "")))
        return f"casedesk ({tenant}): {_slack_escape(what)}. This endpoint works."
    rule = payload.get("data", {}).get("rule") if isinstance(payload.get("data"), dict) else None
    if event == RULE_EVENT and isinstance(rule, dict):
        what = f"Rule “{rule.get('name', '')}”"
    link = f"<{case.get('url', '')}|{_slack_escape(str(case.get('number', '')))}>"
    return (f"{_slack_escape(what)}: {link} {_slack_escape(str(case.get('subject', '')))}\n"
            f"Priority: {_slack_escape(str(case.get('priority', '')))} · "
            f"Status: {_slack_escape(str(case.get('status', '')))}")


def slack_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps({"text": slack_text(delivery.payload)}, ensure_ascii=False).encode()


def delivery_body(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> bytes:
    """What is posted for `delivery`, in the endpoint's format as it is now."""
    if endpoint.payload_format == PayloadFormat.SLACK:
        return slack_body(delivery)
    return json_body(delivery)


# --- access and reads -------------------------------------------------------------------------

def get_endpoint_for_member(membership: Membership, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of the member's tenant, or NotFound (another tenant's included)."""
    endpoint = tenant_row(WebhookEndpoint.objects.all(), membership.tenant_id, endpoint_id,
                          f"No webhook endpoint with id {endpoint_id}.")
    endpoint.tenant = membership.tenant
    return endpoint


def get_delivery_for_member(membership: Membership, delivery_id: int) -> WebhookDelivery:
    """A delivery to one of the member's tenant's endpoints, or NotFound."""
    delivery = tenant_row(WebhookDelivery.objects.select_related("endpoint"),
                          membership.tenant_id, delivery_id,
                          f"No webhook delivery with id {delivery_id}.")
    delivery.tenant = membership.tenant
    return delivery


def endpoints_of(tenant: Tenant) -> list[WebhookEndpoint]:
    """The tenant's endpoints by name, each with `last_delivery_at`, `failed_count` (deliveries
    failed for good) and `waiting_count` annotated."""
    return list(WebhookEndpoint.objects.filter(tenant=tenant).annotate(
        last_delivery_at=Max("deliveries__created_at"),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        waiting_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    ).order_by("name", "pk"))


@dataclass(frozen=True)
class DeliveryPage:
    items: list[WebhookDelivery]
    next_cursor: str | None


def delivery_page(endpoint: WebhookEndpoint, *, cursor: str | None = None, limit: int = 50,
                  status: str | None = None) -> DeliveryPage:
    """The endpoint's delivery log, newest first, a keyset page at a time."""
    qs = WebhookDelivery.objects.filter(tenant_id=endpoint.tenant_id, endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
            raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                          field="cursor")
        qs = qs.filter(pk__lt=last)
    rows = list(qs.select_related("case", "case__tenant").order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return DeliveryPage(items=rows[:limit], next_cursor=next_cursor)


# --- endpoint changes -------------------------------------------------------------------------

def check_url(url: str) -> str:
    """The URL stripped, or Invalid on `url`: http or https only, a host, no credentials, and
    not this installation's own network (the host, or any address its name resolves to, is
    vetted by `core.net`; the worker vets it again before each post)."""
    url = check_text(url.strip(), field="url", label="URL")
    check_fits(WebhookEndpoint, {"url": url})
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid("This URL is not valid.", field="url") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise Invalid("The URL must start with http:// or https:// and name a host.",
                      field="url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("Put no user name or password in the URL: receivers check the "
                      "signature instead.", field="url")
    if any(char.isspace() for char in url):
        raise Invalid("The URL must not contain spaces.", field="url")
    try:
        net.vet_destination(parts.hostname, port)
    except net.AddressNotAllowed as error:
        raise Invalid(str(error), field="url") from None
    except net.HostUnresolvable:
        raise Invalid(f"{parts.hostname} does not resolve to any address.",
                      field="url") from None
    return url


def check_events(events: list[str]) -> list[str]:
    """The events an endpoint subscribes to, once each, in EVENTS' order."""
    unknown = [e for e in events if e not in SUBSCRIBABLE]
    if unknown:
        raise Invalid(f"Unknown event {one_line(unknown[0])[:60]!r}: events are "
                      f"{', '.join(SUBSCRIBABLE)}.", field="events")
    return [e for e in SUBSCRIBABLE if e in events]


def _check_name(name: str) -> str:
    name = one_line(check_text(name, field="name"))
    if not name:
        raise Invalid("Give the endpoint a name.", field="name")
    check_fits(WebhookEndpoint, {"name": name})
    return name


def _check_format(value: str) -> str:
    if value not in PayloadFormat.values:
        raise Invalid(f"The payload format is one of {', '.join(PayloadFormat.values)}.",
                      field="payload_format")
    return value


@dataclass(frozen=True)
class EndpointInput:
    name: str
    url: str
    events: list[str]
    payload_format: str = PayloadFormat.JSON
    is_enabled: bool = True


def listeners_changed(tenant_id: int) -> None:
    """Moves the tenant's automation_version on: the engine caches, per process, which events
    the tenant's enabled endpoints want (`automation.engine.listening`)."""
    Tenant.objects.filter(pk=tenant_id).update(automation_version=F("automation_version") + 1)


AUDITED = ("name", "url", "events", "payload_format", "is_enabled")


def _audit_state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint: never its secret, and its address only up to
    the host: a receiver's path often is a secret too (Slack's incoming webhooks)."""
    return {**audit_snapshot(endpoint, AUDITED), "url": url_shown(endpoint.url)}


def url_shown(url: str) -> str:
    """`https://host/…#1a2b3c4d`: the origin, and a fingerprint that tells a changed path or
    query without showing it."""
    parts = urlsplit(url)
    rest = url[len(f"{parts.scheme}://{parts.netloc}"):]
    origin = f"{parts.scheme}://{parts.netloc}"
    if rest in ("", "/"):
        return origin + rest
    return f"{origin}/…#{hashlib.sha256(rest.encode()).hexdigest()[:8]}"


def endpoint_create(*, tenant: Tenant, data: EndpointInput, now: datetime,
                    actor: User | None = None) -> WebhookEndpoint:
    """A new endpoint with a fresh secret. Admins only (the caller checks). Audited, the
    secret masked."""
    name, url = _check_name(data.name), check_url(data.url)
    events, payload_format = check_events(data.events), _check_format(data.payload_format)
    with transaction.atomic():
        # The tenant row is the lock that keeps two creations from passing the cap together.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if WebhookEndpoint.objects.filter(tenant=tenant).count() >= MAX_ENDPOINTS:
            raise Conflict(f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints.")
        listeners_changed(tenant.pk)
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, name=name, url=url, events=events, payload_format=payload_format,
            secret=secrets.token_hex(SECRET_BYTES), is_enabled=data.is_enabled,
            created_at=now, updated_at=now)
        audit_created(tenant=tenant, actor=actor, action="webhook.created",
                      target_type="webhook", target_id=endpoint.pk, target_label=endpoint.name,
                      values={**_audit_state(endpoint), "secret": SECRET})
        return endpoint


EDITABLE = ("name", "url", "events", "payload_format", "is_enabled")


def endpoint_update(*, endpoint: WebhookEndpoint, changes: dict[str, Any],
                    now: datetime, actor: User | None = None) -> WebhookEndpoint:
    """Changes the named fields (EDITABLE). Switching an endpoint on again forgets its run of
    failures and why it was switched off; waiting deliveries are then posted."""
    checked: dict[str, Any] = {}
    for name in changes:
        if name not in EDITABLE:
            raise Invalid(f"{name} cannot be changed.", field=name)
    if "name" in changes:
        checked["name"] = _check_name(changes["name"])
    if "url" in changes and changes["url"] != endpoint.url:
        checked["url"] = check_url(changes["url"])
    if "events" in changes:
        checked["events"] = check_events(list(changes["events"]))
    if "payload_format" in changes:
        checked["payload_format"] = _check_format(changes["payload_format"])
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _audit_state(endpoint)
        for name, value in checked.items():
            setattr(endpoint, name, value)
        if "is_enabled" in changes:
            _set_enabled(endpoint, bool(changes["is_enabled"]), now)
        endpoint.updated_at = now
        endpoint.save()
        listeners_changed(endpoint.tenant_id)
        after = _audit_state(endpoint)
        audit_change(tenant=endpoint.tenant_id, actor=actor,
                     action=updated_action("webhook", before, after), target_type="webhook",
                     target_id=endpoint.pk, target_label=endpoint.name, before=before,
                     after=after)
    return endpoint


def _set_enabled(endpoint: WebhookEndpoint, enabled: bool, now: datetime) -> None:
    if enabled and not endpoint.is_enabled:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
    elif not enabled and endpoint.is_enabled:
        endpoint.disabled_at, endpoint.disabled_reason = now, "Switched off by an admin."
    endpoint.is_enabled = enabled


def endpoint_set_enabled(*, endpoint: WebhookEndpoint, enabled: bool,
                         now: datetime, actor: User | None = None) -> WebhookEndpoint:
    """Switches the endpoint on or off (the state is given, not flipped)."""
    return endpoint_update(endpoint=endpoint, changes={"is_enabled": enabled}, now=now,
                           actor=actor)


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime,
                           actor: User | None = None) -> WebhookEndpoint:
    """A new secret; posts from now on (waiting retries included) are signed with it.
    Audited as that it changed, never what it is."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.secret = secrets.token_hex(SECRET_BYTES)
        endpoint.updated_at = now
        endpoint.save(update_fields=["secret", "updated_at"])
        audit_record(tenant=endpoint.tenant_id, actor=actor, action="webhook.secret_rotated",
                     target_type="webhook", target_id=endpoint.pk, target_label=endpoint.name,
                     changes={"secret": [SECRET, SECRET]})
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None = None) -> None:
    """Deletes the endpoint with its delivery log; rules that post to it fail from then on.
    Audited."""
    with transaction.atomic():
        audit_deleted(tenant=endpoint.tenant_id, actor=actor, action="webhook.deleted",
                      target_type="webhook", target_id=endpoint.pk, target_label=endpoint.name,
                      values=_audit_state(endpoint))
        WebhookEndpoint.objects.filter(tenant_id=endpoint.tenant_id, pk=endpoint.pk).delete()
        listeners_changed(endpoint.tenant_id)


# --- the outbox rows --------------------------------------------------------------------------

def _delivery(endpoint: WebhookEndpoint, *, event: str, payload: dict[str, Any],
              now: datetime, case_id: int | None = None,
              rule_id: int | None = None) -> WebhookDelivery:
    return WebhookDelivery(tenant_id=endpoint.tenant_id, endpoint=endpoint, event=event,
                           case_id=case_id, rule_id=rule_id, payload=payload, next_attempt_at=now,
                           created_at=now)


def webhook_event_queue(*, case: Case, event: str, data: dict[str, Any], now: datetime) -> int:
    """Queues `event` for every enabled endpoint of the case's tenant that subscribes to it,
    in the caller's transaction; returns how many. One indexed query when the tenant has no
    endpoint (the per-tenant index of the endpoint's tenant column), no cache to go stale."""
    if event not in SUBSCRIBABLE:
        raise Invalid(f"Unknown webhook event {event!r}.", field="event")
    endpoints = [e for e in WebhookEndpoint.objects.filter(tenant_id=case.tenant_id,
                                                           is_enabled=True)
                 .only("pk", "tenant_id", "events") if event in e.events]
    if not endpoints:
        return 0
    payload = case_payload(case, event, data, occurred_at=now)
    WebhookDelivery.objects.bulk_create(
        [_delivery(e, event=event, payload=payload, now=now, case_id=case.pk) for e in endpoints])
    return len(endpoints)


def webhook_rule_post(*, case: Case, endpoint_id: int, rule_id: int, rule_name: str,
                      now: datetime) -> WebhookDelivery:
    """Queues a rule's "post a webhook" action to its endpoint (event `rule.webhook`, whatever
    the endpoint subscribes to), in the caller's transaction. Invalid when the endpoint is not
    the case's tenant's or is switched off."""
    endpoint = (WebhookEndpoint.objects.filter(tenant_id=case.tenant_id, pk=endpoint_id)
                .first() if 0 < endpoint_id <= MAX_ID else None)
    if endpoint is None:
        raise Invalid(f"No webhook endpoint with id {endpoint_id}.", field="endpoint_id")
    if not endpoint.is_enabled:
        raise Invalid(f"The webhook endpoint “{endpoint.name}” is switched off.",
                      field="endpoint_id")
    payload = case_payload(case, RULE_EVENT, {"rule": {"id": rule_id, "name": rule_name}},
                           occurred_at=now)
    delivery = _delivery(endpoint, event=RULE_EVENT, payload=payload, now=now, case_id=case.pk,
                         rule_id=rule_id)
    delivery.save()
    return delivery


def endpoint_send_test(*, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """Queues a test event to the endpoint ("Send a test event"): no case, the endpoint named
    in `data`. Refused (Conflict) while the endpoint is switched off, since it would wait."""
    if not endpoint.is_enabled:
        raise Conflict("This endpoint is switched off: switch it on to send to it.")
    payload = dict(_jsonable({
        "event": TEST_EVENT, "occurred_at": now, "tenant": endpoint.tenant.slug, "case": None,
        "data": {"endpoint": {"id": endpoint.pk, "name": endpoint.name},
                 "message": "A test event from casedesk."}}))
    delivery = _delivery(endpoint, event=TEST_EVENT, payload=payload, now=now)
    delivery.save()
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery, now: datetime) -> WebhookDelivery:
    """"Send again": a new delivery of the same payload (its own id, attempts and log line),
    due now. The old line stays as it was, so the log tells what happened to each post.
    Refused (Conflict) while the original still waits, or its endpoint is switched off."""
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict("This delivery is still being tried; it is sent again on its own.")
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    if not endpoint.is_enabled:
        raise Conflict("This endpoint is switched off: switch it on to send to it.")
    again = _delivery(endpoint, event=delivery.event, payload=dict(delivery.payload), now=now,
                      case_id=delivery.case_id, rule_id=delivery.rule_id)
    again.save()
    return again
