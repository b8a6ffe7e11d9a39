"""Queues and their members: the defaults a new tenant gets, creating and changing a queue,
and a member joining one. A queue's address takes mail in for it, so it is unique in the
whole installation; its name is unique within the tenant."""

from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.text import check_texts
from casedesk.routing.models import Queue, Strategy
from casedesk.tenancy.models import Membership, Tenant

DEFAULT_QUEUES = (
    ("Support", "First line: questions, how-tos and anything not routed elsewhere."),
    ("Finance", "Billing, invoices, refunds and payment problems."),
    ("Engineering", "Bugs and technical problems referred by support."),
)


def queues_seed_defaults(tenant: Tenant, *, members: Sequence[Membership] = ()) -> None:
    """The default queues, with `members` (a new tenant's first admin) in each: a desk whose
    only person belongs to no queue would let every arriving case wait unseen."""
    for name, description in DEFAULT_QUEUES:
        queue, _ = Queue.objects.get_or_create(tenant=tenant, name=name,
                                               defaults={"description": description})
        if members:
            queue.members.add(*members)


def queue_join(*, queue: Queue, membership: Membership) -> Queue:
    """`membership` joins `queue` (nothing changes when they are in it already): the one-click
    way in for a member who belongs to no queue yet."""
    if queue.tenant_id != membership.tenant_id:
        raise Invalid("That queue belongs to another tenant.", field="queue")
    if not queue.is_active:
        raise Conflict(f"The queue {queue.name} is archived: it takes no members.")
    if not membership.is_active:
        raise Conflict("An inactive member cannot join a queue.")
    queue.members.add(membership)
    return queue


def _members_of(tenant: Tenant, member_ids: Iterable[int]) -> list[Membership]:
    ids = set(member_ids)
    members = list(Membership.objects.filter(tenant=tenant, user_id__in=ids))
    missing = ids - {m.user_id for m in members}
    if missing:
        raise Invalid(f"No member of this tenant has user id {sorted(missing)[0]}.",
                      field="member_ids")
    return members


def _check_queue_address(tenant_id: int, email: str, queue_id: int | None = None) -> None:
    """A queue's address takes mail in for it: one owner per address in the whole
    installation, or one tenant's customers' mail would land in another's queue."""
    if not email:
        return
    others = Queue.objects.filter(email__iexact=email)
    if queue_id is not None:
        others = others.exclude(pk=queue_id)
    if Tenant.objects.filter(mail_address__iexact=email).exists() or others.exists():
        raise Conflict(f"{email} takes mail in for another queue or tenant already.")


def queue_create(*, tenant: Tenant, name: str, description: str = "", email: str = "",
                 member_ids: Iterable[int] = (), strategy: str = Strategy.MANUAL) -> Queue:
    """A new queue with its members; names are unique within a tenant, addresses within the
    installation."""
    check_texts({"name": name, "description": description, "email": email},
                ("name", "description", "email"))
    members = _members_of(tenant, member_ids)
    email = email.strip().lower()
    _check_queue_address(tenant.pk, email)
    try:
        with transaction.atomic():
            queue = Queue.objects.create(tenant=tenant, name=name, description=description,
                                         email=email, strategy=strategy)
            queue.members.set(members)
    except IntegrityError:
        raise Conflict(f"A queue named {name!r} exists already.") from None
    return queue


def queue_update(*, queue: Queue, changes: dict[str, object]) -> Queue:
    """Changes the given fields of `queue`; `member_ids` replaces the member list."""
    check_texts(changes, [name for name, value in changes.items() if isinstance(value, str)])
    with transaction.atomic():
        if "member_ids" in changes:
            member_ids = changes.pop("member_ids")
            assert isinstance(member_ids, list)
            queue.members.set(_members_of(queue.tenant, member_ids))
        if changes.get("email"):
            email = str(changes["email"]).strip().lower()
            _check_queue_address(queue.tenant_id, email, queue.pk)
            changes["email"] = email
        for field, value in changes.items():
            setattr(queue, field, value)
        if changes:
            try:
                with transaction.atomic():
                    queue.save()
            except IntegrityError:
                raise Conflict(f"A queue named {queue.name!r} exists already.") from None
    return queue
