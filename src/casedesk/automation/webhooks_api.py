"""The webhooks API: the tenant's endpoints (`/webhooks`, admins change, managers read; the
secret is shown to admins only), each endpoint's delivery log, "send again" and a test event.
Agents get a 403."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query
from pydantic import Field

from casedesk.automation import webhooks
from casedesk.automation.models import WebhookDelivery, WebhookEndpoint
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.schemas import Error, RequiredText, Text, fits
from casedesk.tenancy.api_auth import require_admin, require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["webhooks"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}

EventName = Literal["case.created", "case.updated", "case.status_changed", "case.note_added",
                    "case.customer_replied", "case.sla_warning", "case.sla_breached",
                    "csat.received"]
FormatName = Literal["json", "slack"]
StatusName = Literal["pending", "delivered", "failed"]
EVENTS_HELP = ("The events posted to this endpoint (a rule's \"post a webhook\" action posts "
               "`rule.webhook` to it whatever this lists).")
FORMAT_HELP = ("`json`: the casedesk body (signed, see the README); `slack`: "
               "`{\"text\": ...}`, so a Slack incoming-webhook URL works as is.")
URL_HELP = ("http or https. Hosts on this installation's own network (loopback, private, "
            "link-local, metadata addresses) are refused unless it sets "
            "CASEDESK_ALLOW_PRIVATE_NETWORKS=1.")
Url = Annotated[Text, fits(WebhookEndpoint, "url", min_length=1)]
Events = Annotated[list[EventName], Field(max_length=len(webhooks.SUBSCRIBABLE) * 2,
                                          description=EVENTS_HELP)]


class EndpointIn(Schema):
    name: Annotated[RequiredText, fits(WebhookEndpoint, "name")]
    url: Url = Field(description=URL_HELP)
    events: Events = Field(default_factory=list)
    payload_format: FormatName = Field("json", description=FORMAT_HELP)
    is_enabled: bool = True


class EndpointPatch(Schema):
    name: Annotated[RequiredText, fits(WebhookEndpoint, "name")] | None = None
    url: Url | None = Field(None, description=URL_HELP)
    events: Events | None = None
    payload_format: FormatName | None = Field(None, description=FORMAT_HELP)
    is_enabled: bool | None = Field(None, description=(
        "true switches the endpoint on again (forgetting its failures); false off."))
    rotate_secret: bool = Field(False, description="true: a new secret replaces the old one.")


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    payload_format: FormatName
    is_enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str
    secret: str | None = Field(description="Admins only; null for managers.")
    created_at: datetime
    updated_at: datetime


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event: str
    case_number: str | None
    status: StatusName
    attempts: int
    response_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int | None
    next_attempt_at: datetime | None = Field(description="While pending: the next try.")
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def _endpoint_out(endpoint: WebhookEndpoint, membership: Membership) -> dict[str, Any]:
    return {"id": endpoint.pk, "name": endpoint.name, "url": endpoint.url,
            "events": list(endpoint.events), "payload_format": endpoint.payload_format,
            "is_enabled": endpoint.is_enabled,
            "consecutive_failures": endpoint.consecutive_failures,
            "disabled_at": endpoint.disabled_at, "disabled_reason": endpoint.disabled_reason,
            "secret": endpoint.secret if membership.is_admin else None,
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at}


def _delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.status == "pending"
    return {"id": delivery.pk, "endpoint_id": delivery.endpoint_id, "event": delivery.event,
            "case_number": delivery.case.display_number if delivery.case else None,
            "status": delivery.status, "attempts": delivery.attempts,
            "response_code": delivery.response_code,
            "response_excerpt": delivery.response_excerpt, "error": delivery.error,
            "duration_ms": delivery.duration_ms,
            "next_attempt_at": delivery.next_attempt_at if pending else None,
            "created_at": delivery.created_at, "delivered_at": delivery.delivered_at}


@router.get("/webhooks", response={200: list[EndpointOut], **ERRORS},
            summary="Webhook endpoints")
def list_endpoints(request: HttpRequest) -> Any:
    """The tenant's endpoints by name. Managers and admins."""
    membership = require_manager(request)
    return [_endpoint_out(e, membership) for e in webhooks.endpoints_of(membership.tenant)]


@router.post("/webhooks", response={201: EndpointOut, **ERRORS},
             summary="Add a webhook endpoint")
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Any:
    """Admins. The secret is generated (64 hex digits) and answered here."""
    admin = require_admin(request)
    endpoint = webhooks.endpoint_create(tenant=admin.tenant, now=clock.now(),
                                        data=webhooks.EndpointInput(
                                            name=payload.name, url=payload.url,
                                            events=list(payload.events),
                                            payload_format=payload.payload_format,
                                            is_enabled=payload.is_enabled))
    return 201, _endpoint_out(endpoint, admin)


@router.get("/webhooks/{endpoint_id}", response={200: EndpointOut, **ERRORS},
            summary="A webhook endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    membership = require_manager(request)
    return _endpoint_out(webhooks.get_endpoint_for_member(membership, endpoint_id), membership)


@router.patch("/webhooks/{endpoint_id}", response={200: EndpointOut, **ERRORS},
              summary="Change a webhook endpoint")
def patch_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointPatch) -> Any:
    """Admins. Only the fields sent change; `rotate_secret: true` makes a new secret."""
    admin = require_admin(request)
    endpoint = webhooks.get_endpoint_for_member(admin, endpoint_id)
    changes = payload.dict(exclude_unset=True)
    rotate = bool(changes.pop("rotate_secret", False))
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    now = clock.now()
    if changes:
        endpoint = webhooks.endpoint_update(endpoint=endpoint, changes=changes, now=now)
    if rotate:
        endpoint = webhooks.endpoint_rotate_secret(endpoint=endpoint, now=now)
    return _endpoint_out(endpoint, admin)


@router.delete("/webhooks/{endpoint_id}", response={204: None, **ERRORS},
               summary="Delete a webhook endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    """Admins. Its delivery log goes with it."""
    admin = require_admin(request)
    webhooks.endpoint_delete(endpoint=webhooks.get_endpoint_for_member(admin, endpoint_id))
    return 204, None


@router.get("/webhooks/{endpoint_id}/deliveries", response={200: DeliveryPageOut, **ERRORS},
            summary="An endpoint's delivery log")
def list_deliveries(request: HttpRequest, endpoint_id: int,
                    status: StatusName | None = None,
                    cursor: str | None = Query(None, max_length=500),
                    limit: int = Query(50, ge=1, le=100)) -> Any:
    """Newest first; each line is the latest attempt's answer. Managers and admins."""
    membership = require_manager(request)
    endpoint = webhooks.get_endpoint_for_member(membership, endpoint_id)
    page = webhooks.delivery_page(endpoint, cursor=cursor, limit=limit, status=status)
    return {"items": [_delivery_out(d) for d in page.items], "next_cursor": page.next_cursor}


@router.post("/webhooks/deliveries/{delivery_id}/redeliver",
             response={201: DeliveryOut, **ERRORS}, summary="Send a delivery again")
def redeliver(request: HttpRequest, delivery_id: int) -> Any:
    """Admins. A new delivery of the same body, due now (409 while the original is still
    being tried, or the endpoint is switched off)."""
    admin = require_admin(request)
    delivery = webhooks.get_delivery_for_member(admin, delivery_id)
    return 201, _delivery_out(webhooks.delivery_redeliver(delivery=delivery, now=clock.now()))


@router.post("/webhooks/{endpoint_id}/test", response={201: DeliveryOut, **ERRORS},
             summary="Send a test event")
def send_test(request: HttpRequest, endpoint_id: int) -> Any:
    """Admins. Queues a `webhook.test` event to the endpoint (409 while it is switched
    off); the worker posts it within seconds."""
    admin = require_admin(request)
    endpoint = webhooks.get_endpoint_for_member(admin, endpoint_id)
    return 201, _delivery_out(webhooks.endpoint_send_test(endpoint=endpoint, now=clock.now()))
