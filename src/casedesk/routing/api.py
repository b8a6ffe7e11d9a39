"""The queues API."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.core.api_auth import member, require_admin
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID, Email, Error, Id, RequiredText, Text
from casedesk.routing import services
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership

router = Router(tags=["queues"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class QueueIn(Schema):
    name: Annotated[RequiredText, Field(max_length=100)]
    description: Annotated[Text, Field(max_length=500)] = ""
    email: Email | None = None
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)


class QueuePatch(Schema):
    name: Annotated[RequiredText, Field(max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=500)] | None = None
    email: Email | None = None
    member_ids: list[Id] | None = Field(None, max_length=1000)
    is_active: bool | None = None


class QueueOut(Schema):
    id: int
    name: str
    description: str
    email: str
    member_ids: list[int]
    is_active: bool
    created_at: datetime


def queue_out(queue: Queue) -> dict[str, Any]:
    return {
        "id": queue.pk, "name": queue.name, "description": queue.description,
        "email": queue.email, "is_active": queue.is_active, "created_at": queue.created_at,
        "member_ids": sorted(m.user_id for m in queue.members.all()),
    }


def _queue(membership: Membership, queue_id: int) -> Queue:
    queue = (Queue.objects.filter(tenant_id=membership.tenant_id, pk=queue_id)
             .prefetch_related("members").first() if 0 < queue_id <= MAX_ID else None)
    if queue is None:
        raise NotFound(f"No queue with id {queue_id}.")
    return queue


@router.get("/queues", response={200: list[QueueOut], **ERRORS})
def list_queues(request: HttpRequest) -> Any:
    rows = Queue.objects.for_tenant(member(request).tenant).prefetch_related("members")
    return [queue_out(q) for q in rows]


@router.post("/queues", response={201: QueueOut, **ERRORS})
def create_queue(request: HttpRequest, payload: QueueIn) -> Any:
    admin = require_admin(request)
    queue = services.queue_create(tenant=admin.tenant, name=payload.name.strip(),
                                  description=payload.description, email=payload.email or "",
                                  member_ids=payload.member_ids)
    return 201, queue_out(_queue(admin, queue.pk))


@router.get("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def get_queue(request: HttpRequest, queue_id: int) -> Any:
    return queue_out(_queue(member(request), queue_id))


@router.patch("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def patch_queue(request: HttpRequest, queue_id: int, payload: QueuePatch) -> Any:
    admin = require_admin(request)
    queue = _queue(admin, queue_id)
    changes = payload.dict(exclude_unset=True)
    for name in ("name", "description", "member_ids", "is_active"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "email" in changes:
        changes["email"] = changes["email"] or ""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    services.queue_update(queue=queue, changes=changes)
    return queue_out(_queue(admin, queue_id))
