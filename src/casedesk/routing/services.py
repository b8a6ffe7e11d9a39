"""Writes for queues."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant

DEFAULT_QUEUES = (
    ("Support", "First line: questions, how-tos and anything not routed elsewhere."),
    ("Finance", "Billing, invoices, refunds and payment problems."),
    ("Engineering", "Bugs and technical problems referred by support."),
)


def queues_seed_defaults(tenant: Tenant) -> None:
    for name, description in DEFAULT_QUEUES:
        Queue.objects.get_or_create(tenant=tenant, name=name,
                                    defaults={"description": description})


def _members_of(tenant: Tenant, member_ids: Iterable[int]) -> list[Membership]:
    ids = set(member_ids)
    members = list(Membership.objects.filter(tenant=tenant, user_id__in=ids))
    missing = ids - {m.user_id for m in members}
    if missing:
        raise Invalid(f"No member of this tenant has user id {sorted(missing)[0]}.",
                      field="member_ids")
    return members


def queue_create(*, tenant: Tenant, name: str, description: str = "", email: str = "",
                 member_ids: Iterable[int] = ()) -> Queue:
    """A new queue with its members; names are unique within a tenant."""
    members = _members_of(tenant, member_ids)
    try:
        with transaction.atomic():
            queue = Queue.objects.create(tenant=tenant, name=name, description=description,
                                         email=email)
            queue.members.set(members)
    except IntegrityError:
        raise Conflict(f"A queue named {name!r} exists already.") from None
    return queue


def queue_update(*, queue: Queue, changes: dict[str, object]) -> Queue:
    """Changes the given fields of `queue`; `member_ids` replaces the member list."""
    with transaction.atomic():
        if "member_ids" in changes:
            member_ids = changes.pop("member_ids")
            assert isinstance(member_ids, list)
            queue.members.set(_members_of(queue.tenant, member_ids))
        for field, value in changes.items():
            setattr(queue, field, value)
        if changes:
            try:
                with transaction.atomic():
                    queue.save()
            except IntegrityError:
                raise Conflict(f"A queue named {queue.name!r} exists already.") from None
    return queue
