"""Task writes: one function per change, one transaction each, the caller passes `now`.

Who may change a task is decided before a service is called (`tasks.access`); the services
check what the task names: its owner must be an active member of the tenant and its case,
account and contact the tenant's. `overdue_notified_at` tells whether the owner was told
the task is late: reopening the task, moving its due time later or giving it to someone
else clears it, so a new lateness is told again."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.cases.models import Case
from casedesk.core.errors import Invalid
from casedesk.core.limits import check_fits
from casedesk.core.text import check_texts, one_line
from casedesk.crm.models import Account, Contact
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.tasks.models import Task
from casedesk.tenancy.models import Membership, Tenant, User

NOTES_MAX = 10_000
OVERDUE_BATCH = 1000  # tasks told per run; the next run takes the rest
# What `task_update` changes; None clears a field (except the subject and notes).
EDITABLE = ("subject", "notes", "due_at", "owner_id", "account_id", "contact_id")


def _subject(value: str) -> str:
    subject = one_line(value)
    if not subject:
        raise Invalid("The subject must not be blank.", field="subject")
    check_fits(Task, {"subject": subject})
    return subject


def _notes(value: str) -> str:
    notes = value.strip()
    if len(notes) > NOTES_MAX:
        raise Invalid(f"The notes are longer than {NOTES_MAX} characters.", field="notes")
    return notes


def _owner(tenant_id: int, owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    if not Membership.objects.filter(tenant_id=tenant_id, user_id=owner_id,
                                     is_active=True).exists():
        raise Invalid(f"No active member of this tenant has user id {owner_id}.",
                      field="owner_id")
    return owner_id


def _account(tenant_id: int, account_id: int | None) -> Account | None:
    if account_id is None:
        return None
    account = Account.objects.filter(tenant_id=tenant_id, pk=account_id).first()
    if account is None:
        raise Invalid(f"No account with id {account_id}.", field="account_id")
    return account


def _contact(tenant_id: int, contact_id: int | None) -> Contact | None:
    if contact_id is None:
        return None
    contact = Contact.objects.filter(tenant_id=tenant_id, pk=contact_id).first()
    if contact is None:
        raise Invalid(f"No contact with id {contact_id}.", field="contact_id")
    return contact


def _default_owner(tenant_id: int, actor: User | None, case: Case | None) -> int | None:
    """Whoever asked for the task; for a rule, the case's owner while still a member."""
    if actor is not None:
        return int(actor.pk)
    if case is not None and case.owner_id is not None and Membership.objects.filter(
            tenant_id=tenant_id, user_id=case.owner_id, is_active=True).exists():
        return case.owner_id
    return None


def task_create(*, tenant: Tenant, actor: User | None, subject: str, now: datetime,
                due_at: datetime | None = None, owner_id: int | None = None,
                case: Case | None = None, account_id: int | None = None,
                contact_id: int | None = None, notes: str = "",
                made_by_rule_id: int | None = None) -> Task:
    """Makes a task. Without an owner it is the actor's (for a rule: the case owner's); on a
    case it takes the case's account and contact unless given, and a contact given alone
    brings its account. The automation engine calls it with `actor=None`."""
    check_texts({"subject": subject, "notes": notes}, ("subject", "notes"))
    subject, notes = _subject(subject), _notes(notes)
    if case is not None and case.tenant_id != tenant.pk:
        raise Invalid("No such case in this tenant.", field="case")
    owner = _owner(tenant.pk, owner_id) if owner_id is not None else _default_owner(
        tenant.pk, actor, case)
    account = _account(tenant.pk, account_id)
    contact = _contact(tenant.pk, contact_id)
    if case is not None:
        if account_id is None and contact_id is None:
            account_pk, contact_pk = case.account_id, case.contact_id
        else:
            account_pk = account.pk if account is not None else case.account_id
            contact_pk = contact.pk if contact is not None else case.contact_id
    else:
        account_pk = account.pk if account is not None else None
        contact_pk = contact.pk if contact is not None else None
    if account_pk is None and contact is not None:
        account_pk = contact.account_id
    with transaction.atomic():
        return Task.objects.create(
            tenant=tenant, subject=subject, notes=notes, due_at=due_at, owner_id=owner,
            case=case, account_id=account_pk, contact_id=contact_pk,
            made_by_rule_id=made_by_rule_id, created_by=actor, created_at=now,
            updated_at=now)


def task_update(*, task: Task, actor: User | None, changes: Mapping[str, Any],
                now: datetime) -> Task:
    """Changes the fields in `changes` (names from EDITABLE; None clears one). A due time
    moved later, cleared, or a new owner lets a new lateness be told again. The caller has
    checked that the actor may change the task (`access.get_task_for_member(write=True)`)."""
    unknown = [name for name in changes if name not in EDITABLE]
    if unknown:
        raise Invalid(f"{unknown[0]} cannot be changed.", field=unknown[0])
    for name in ("subject", "notes"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    check_texts(dict(changes), ("subject", "notes"))
    values: dict[str, Any] = {}
    if "subject" in changes:
        values["subject"] = _subject(changes["subject"])
    if "notes" in changes:
        values["notes"] = _notes(changes["notes"])
    if "due_at" in changes:
        values["due_at"] = changes["due_at"]
    if "owner_id" in changes:
        values["owner_id"] = (task.owner_id if changes["owner_id"] == task.owner_id
                              else _owner(task.tenant_id, changes["owner_id"]))
    if "account_id" in changes:
        account = _account(task.tenant_id, changes["account_id"])
        values["account_id"] = account.pk if account is not None else None
    if "contact_id" in changes:
        contact = _contact(task.tenant_id, changes["contact_id"])
        values["contact_id"] = contact.pk if contact is not None else None
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk, tenant_id=task.tenant_id)
        if _tells_again(locked, values):
            values["overdue_notified_at"] = None
        for name, value in values.items():
            setattr(locked, name, value)
        locked.updated_at = now
        locked.save(update_fields=[*values, "updated_at"])
    return _fresh(locked)


def _tells_again(task: Task, values: Mapping[str, Any]) -> bool:
    if task.overdue_notified_at is None:
        return False
    if "owner_id" in values and values["owner_id"] != task.owner_id:
        return True
    if "due_at" not in values:
        return False
    new_due = values["due_at"]
    return new_due is None or task.due_at is None or new_due > task.due_at


def task_set_done(*, task: Task, done: bool, actor: User | None, now: datetime) -> Task:
    """Marks the task done (who and when) or open again; asking for the state it is in
    changes nothing. Reopening lets a new lateness be told again."""
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk, tenant_id=task.tenant_id)
        if locked.is_done == done:
            return _fresh(locked)
        locked.is_done = done
        locked.done_at = now if done else None
        locked.done_by = actor if done else None
        fields = ["is_done", "done_at", "done_by", "updated_at"]
        if not done:
            locked.overdue_notified_at = None
            fields.append("overdue_notified_at")
        locked.updated_at = now
        locked.save(update_fields=fields)
    return _fresh(locked)


def task_delete(*, task: Task) -> None:
    """Deletes the task (the caller has checked the member may change it)."""
    with transaction.atomic():
        Task.objects.filter(pk=task.pk, tenant_id=task.tenant_id).delete()


def _fresh(task: Task) -> Task:
    return (Task.objects.select_related("owner", "case", "case__tenant", "account", "contact",
                                        "done_by", "created_by").get(pk=task.pk))


class _Raced(Exception):
    """Another run marked some of the same tasks first (an engine without row locks)."""


def tasks_notify_overdue(now: datetime) -> int:
    """Tells each owner of an open task past due, once (`overdue_notified_at`), in every
    tenant; how many tasks were told. One query finds the due tasks (the partial index
    `task_overdue_due`), one conditional UPDATE marks them and one bulk insert writes the
    notices, all in one transaction. Two workers at once tell each task once: on PostgreSQL
    the rows are claimed with `SKIP LOCKED`; where the engine has no row locks, a run whose
    UPDATE marked fewer rows than it read lost a race and writes nothing (the next run
    takes what is left). Tasks without an owner are marked too: nobody is left to tell."""
    due = Task.objects.filter(is_done=False, overdue_notified_at__isnull=True,
                              due_at__isnull=False, due_at__lte=now)
    try:
        with transaction.atomic():
            rows = list(due.select_for_update(skip_locked=True, of=("self",))
                        .order_by("due_at", "pk")
                        .values("pk", "tenant_id", "owner_id", "case_id", "subject")
                        [:OVERDUE_BATCH])
            if not rows:
                return 0
            ids = [row["pk"] for row in rows]
            marked = (Task.objects.filter(pk__in=ids, is_done=False,
                                          overdue_notified_at__isnull=True)
                      .update(overdue_notified_at=now))
            if marked != len(ids):
                raise _Raced
            notices_write([Notice(tenant_id=row["tenant_id"], recipient_id=row["owner_id"],
                                  case_id=row["case_id"], kind=NotificationKind.TASK_OVERDUE,
                                  message=f"Task overdue: {row['subject']}")
                           for row in rows if row["owner_id"] is not None], now)
    except _Raced:
        return 0
    return len(rows)
