"""Queues and their members: the defaults a new tenant gets, creating, changing, archiving
and restoring a queue, setting its members, and a member joining one.

A queue's name is unique within the tenant, whatever its case ("Finance" and "finance" are
one name to the people choosing between them); its address takes mail in for it, so it is
unique in the whole installation. Lengths are the columns' (`check_fits`), text is checked
for what the database cannot store, and every refusal names the field it is about.

Members are named by their user ids (as everywhere in the API). Only active members of the
queue's tenant may be added; a member who was deactivated while in the queue may stay in it
(they get no cases while inactive, and are back in their queues when reactivated) until the
admin leaves them out of the set.

Archiving (`queue_archive`) is how a queue is retired: it keeps its cases, members and
address but takes no new cases. Routing passes it over (a rule naming it cannot be enabled,
the fallback map sends its category to Support instead), the new-case and case-field forms
stop offering it, and a case cannot be given or moved to it; the cases already in it stay
there and can still be listed, opened and moved out. It is refused while it would leave work
or routing stranded:
- open cases waiting in it without an owner (nobody's inbox shows an archived queue, so they
  would wait unseen): the refusal says how many, and they are to be assigned or moved first;
- an enabled routing rule sending cases to it: the refusal names the rule, which is to be
  changed or disabled first, so that no rule quietly stops doing what it says.
Cases it holds that have an owner stay with their owner. `queue_restore` brings it back as it
was.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits
from casedesk.core.text import check_texts
from casedesk.routing.hooks import waiting_by_queue
from casedesk.routing.models import Queue, Strategy
from casedesk.routing.selectors import rules_sending_to
from casedesk.tenancy.audit import audit_change, audit_created, audit_snapshot
from casedesk.tenancy.models import Membership, Tenant, User

DEFAULT_QUEUES = (
    ("Support", "First line: questions, how-tos and anything not routed elsewhere."),
    ("Finance", "Billing, invoices, refunds and payment problems."),
    ("Engineering", "Bugs and technical problems referred by support."),
)
DETAILS = ("name", "description", "email")
CHANGEABLE = (*DETAILS, "member_ids", "strategy", "is_active")
AUDITED = (*DETAILS, "strategy", "is_active")


class QueueConflict(Conflict):
    """A refusal (409) about one field of a queue: its name or its address is taken. `field`
    lets a page show it beside that field."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.field = field


def queues_seed_defaults(tenant: Tenant, *, members: Sequence[Membership] = ()) -> None:
    """The default queues, with `members` (a new tenant's first admin) in each: a desk whose
    only person belongs to no queue would let every arriving case wait unseen."""
    for name, description in DEFAULT_QUEUES:
        queue, _ = Queue.objects.get_or_create(tenant=tenant, name=name,
                                               defaults={"description": description})
        if members:
            queue.members.add(*members)


def _audit_state(queue: Queue) -> dict[str, Any]:
    """What the audit log keeps of a queue: its details and its members' addresses."""
    members = sorted(Membership.objects.filter(queues=queue)
                     .values_list("user__email", flat=True))
    return {**audit_snapshot(queue, AUDITED), "members": members}


def _audit_update(queue: Queue, before: dict[str, Any], actor: User | None) -> None:
    after = _audit_state(queue)
    action = "queue.updated"
    moved = {k for k in after if before.get(k) != after[k]}
    if moved == {"members"}:
        action = "queue.members_changed"
    elif moved == {"is_active"}:
        action = "queue.restored" if after["is_active"] else "queue.archived"
    audit_change(tenant=queue.tenant_id, actor=actor, action=action, target_type="queue",
                 target_id=queue.pk, target_label=queue.name, before=before, after=after)


def queue_join(*, queue: Queue, membership: Membership) -> Queue:
    """`membership` joins `queue` (nothing changes when they are in it already): the one-click
    way in for a member who belongs to no queue yet. Audited as the member's own act."""
    if queue.tenant_id != membership.tenant_id:
        raise Invalid("That queue belongs to another tenant.", field="queue")
    if not queue.is_active:
        raise Conflict(f"The queue {queue.name} is archived: it takes no members.")
    if not membership.is_active:
        raise Conflict("An inactive member cannot join a queue.")
    with transaction.atomic():
        before = _audit_state(queue)
        queue.members.add(membership)
        _audit_update(queue, before, membership.user)
    return queue


# --- checks -------------------------------------------------------------------------------------

def _checked_details(values: Mapping[str, Any]) -> dict[str, str]:
    """The name, description and address among `values`, cleaned (name trimmed, address
    trimmed and lower-cased), or Invalid naming the first that cannot be stored."""
    clean: dict[str, str] = {}
    for name in DETAILS:
        if name in values:
            if not isinstance(values[name], str):
                raise Invalid(f"{name} must be text.", field=name)
            clean[name] = values[name]
    check_texts(clean, list(clean))
    if "name" in clean:
        clean["name"] = clean["name"].strip()
        if not clean["name"]:
            raise Invalid("A queue needs a name.", field="name")
    if "email" in clean:
        clean["email"] = clean["email"].strip().lower()
    check_fits(Queue, clean)
    if clean.get("email"):
        try:
            validate_email(clean["email"])
        except ValidationError:
            raise Invalid(f"Not an email address: {clean['email']}.", field="email") from None
    return clean


def _check_strategy(strategy: object) -> str:
    if strategy not in Strategy.values:
        raise Invalid(f"strategy is one of {', '.join(Strategy.values)}.", field="strategy")
    return str(strategy)


def _lock_queues(tenant_id: int) -> None:
    """Holds the tenant's queue rows until the transaction ends, so that two admins naming
    queues at once are checked one after the other (the table's own constraint only knows
    names that are equal letter for letter)."""
    list(Queue.objects.select_for_update().filter(tenant_id=tenant_id).order_by("pk")
         .values_list("pk", flat=True))


def _check_name_free(tenant_id: int, name: str, queue_id: int | None = None) -> None:
    others = Queue.objects.filter(tenant_id=tenant_id, name__iexact=name)
    if queue_id is not None:
        others = others.exclude(pk=queue_id)
    taken = others.values_list("name", flat=True).first()
    if taken is not None:
        raise QueueConflict(f"A queue named “{taken}” exists already: choose another name.",
                            field="name")


def _check_queue_address(email: str, queue_id: int | None = None) -> None:
    """A queue's address takes mail in for it: one owner per address in the whole
    installation, or one tenant's customers' mail would land in another's queue."""
    if not email:
        return
    others = Queue.objects.filter(email__iexact=email)
    if queue_id is not None:
        others = others.exclude(pk=queue_id)
    if Tenant.objects.filter(mail_address__iexact=email).exists() or others.exists():
        raise QueueConflict(f"{email} takes mail in for another queue or tenant already.",
                            field="email")


def _ids(member_ids: Iterable[object]) -> set[int]:
    ids: set[int] = set()
    for value in member_ids:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("member_ids lists user ids.", field="member_ids")
        ids.add(value)
    return ids


def _members_of(tenant_id: int, member_ids: Iterable[object],
                staying: frozenset[int] = frozenset()) -> list[Membership]:
    """The memberships of the tenant behind `member_ids` (user ids), or Invalid naming the
    first id that is not one of its members, or a member who may not be added: deactivated,
    unless they are among `staying` (membership ids of the queue's current members)."""
    ids = _ids(member_ids)
    members = list(Membership.objects.filter(tenant_id=tenant_id, user_id__in=ids)
                   .select_related("user").order_by("user_id"))
    missing = ids - {m.user_id for m in members}
    if missing:
        raise Invalid(f"No member of this tenant has user id {sorted(missing)[0]}.",
                      field="member_ids")
    for membership in members:
        if not (membership.is_active and membership.user.is_active) and (
                membership.pk not in staying):
            raise Invalid(f"{membership.user.display_name} is deactivated: only active "
                          "members can be added to a queue.", field="member_ids")
    return members


def _current_member_ids(queue: Queue) -> frozenset[int]:
    return frozenset(queue.members.through.objects.filter(queue_id=queue.pk)
                     .values_list("membership_id", flat=True))


def _refusal_to_archive(queue: Queue) -> str | None:
    """Why `queue` cannot be archived now (see the module's docstring), or None."""
    rules = rules_sending_to(queue)
    if rules:
        names = " and ".join(f"“{rule.name}”" for rule in rules[:2])
        more = f" (and {len(rules) - 2} more)" if len(rules) > 2 else ""
        rule_word = "rules" if len(rules) > 1 else "rule"
        verb = "send" if len(rules) > 1 else "sends"
        return (f"The routing {rule_word} {names}{more} {verb} cases to {queue.name}: change "
                f"the queue {'they send to' if len(rules) > 1 else 'it sends to'} or disable "
                f"{'them' if len(rules) > 1 else 'it'} before archiving the queue.")
    waiting = waiting_by_queue(queue.tenant).get(queue.pk, 0)
    if waiting:
        cases = "case is" if waiting == 1 else "cases are"
        return (f"{waiting} open {cases} waiting in {queue.name} without an owner: assign "
                "them or move them to another queue before archiving it.")
    return None


# --- writes -------------------------------------------------------------------------------------

def queue_create(*, tenant: Tenant, name: str, description: str = "", email: str = "",
                 member_ids: Iterable[int] = (), strategy: str = Strategy.MANUAL,
                 actor: User | None = None) -> Queue:
    """A new, active queue with its members (active members of the tenant), in one
    transaction. A name already used in the tenant (in any case) or an address already
    taking mail in is a QueueConflict naming the field."""
    details = _checked_details({"name": name, "description": description, "email": email})
    strategy = _check_strategy(strategy)
    try:
        with transaction.atomic():
            _lock_queues(tenant.pk)
            _check_name_free(tenant.pk, details["name"])
            _check_queue_address(details["email"])
            members = _members_of(tenant.pk, member_ids)
            queue = Queue.objects.create(tenant=tenant, strategy=strategy, **details)
            queue.members.set(members)
            audit_created(tenant=tenant, actor=actor, action="queue.created",
                          target_type="queue", target_id=queue.pk, target_label=queue.name,
                          values=_audit_state(queue))
    except IntegrityError:
        raise QueueConflict(f"A queue named “{details['name']}” exists already: choose another "
                            "name.", field="name") from None
    return queue


def queue_update(*, queue: Queue, changes: dict[str, object],
                 actor: User | None = None) -> Queue:
    """Changes the given fields of `queue` in one transaction: `name`, `description`,
    `email`, `strategy`, `member_ids` (replaces the members, as `queue_set_members`) and
    `is_active` (False archives it and True restores it, as `queue_archive` and
    `queue_restore`, with their refusals). Nothing changes when any of them is refused."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise Invalid(f"A queue has no field {unknown[0]} to change.", field=unknown[0])
    values: dict[str, object] = dict(_checked_details(changes))
    if "strategy" in changes:
        values["strategy"] = _check_strategy(changes["strategy"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise Invalid("is_active is true or false.", field="is_active")
        values["is_active"] = changes["is_active"]
    member_ids = changes.get("member_ids")
    if "member_ids" in changes and not isinstance(member_ids, list | tuple | set | frozenset):
        raise Invalid("member_ids lists user ids.", field="member_ids")
    tenant_id = queue.tenant_id
    try:
        with transaction.atomic():
            if "name" in values:
                _lock_queues(tenant_id)
            # The row as it is now, not as the caller read it: only the fields given change
            # (round-robin's rota, for one, moves under routing's own lock).
            locked = Queue.objects.select_for_update().get(pk=queue.pk, tenant_id=tenant_id)
            before = _audit_state(locked)
            if "name" in values:
                _check_name_free(tenant_id, str(values["name"]), queue.pk)
            if values.get("email"):
                _check_queue_address(str(values["email"]), queue.pk)
            if isinstance(member_ids, list | tuple | set | frozenset):
                locked.members.set(_members_of(tenant_id, member_ids,
                                               _current_member_ids(queue)))
            if locked.is_active and values.get("is_active") is False:
                refusal = _refusal_to_archive(queue)
                if refusal is not None:
                    raise Conflict(refusal)
            for field, value in values.items():
                setattr(locked, field, value)
            if values:
                locked.save(update_fields=list(values))
            _audit_update(locked, before, actor)
    except IntegrityError:
        raise QueueConflict(f"A queue named “{values.get('name', queue.name)}” exists already: "
                            "choose another name.", field="name") from None
    for field in ("name", "description", "email", "strategy", "is_active", "rr_last_user_id"):
        setattr(queue, field, getattr(locked, field))
    return queue


def queue_set_members(*, queue: Queue, member_ids: Iterable[int],
                      actor: User | None = None) -> Queue:
    """Makes the queue's members exactly the members whose user ids are given, in one
    transaction: each an active member of the queue's tenant, or a deactivated one who is in
    the queue already (kept). Any other id — unknown, another tenant's, a deactivated member
    not in the queue — is refused (Invalid, `member_ids`) and nothing changes."""
    with transaction.atomic():
        list(Queue.objects.select_for_update().filter(pk=queue.pk).values_list("pk", flat=True))
        members = _members_of(queue.tenant_id, member_ids, _current_member_ids(queue))
        before = _audit_state(queue)
        queue.members.set(members)
        _audit_update(queue, before, actor)
    return queue


def queue_archive(*, queue: Queue, actor: User | None = None) -> Queue:
    """Archives the queue (it takes no new cases; see the module's docstring), refused with
    a Conflict while open cases wait in it unowned or an enabled routing rule sends cases to
    it. Archiving an archived queue changes nothing."""
    return queue_update(queue=queue, changes={"is_active": False}, actor=actor)


def queue_restore(*, queue: Queue, actor: User | None = None) -> Queue:
    """Brings an archived queue back, with the members, address and strategy it had."""
    return queue_update(queue=queue, changes={"is_active": True}, actor=actor)
