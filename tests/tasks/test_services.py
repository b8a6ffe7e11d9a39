"""Task writes: what a task takes from its case, who may change it, done and open again,
and the overdue notice that is told once."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.core.errors import Invalid, NotFound, PermissionDenied
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.tasks import services
from casedesk.tasks.access import get_task_for_member
from casedesk.tasks.models import Task
from casedesk.tasks.services import task_create, task_set_done, task_update, tasks_notify_overdue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case


def _task(tenant: Tenant, actor: Membership | None, **fields: Any) -> Task:
    fields.setdefault("subject", "Call back")
    return task_create(tenant=tenant, actor=actor.user if actor else None, now=NOW, **fields)


def test_a_task_on_a_case_takes_its_account_and_contact(tenant: Tenant,
                                                        agent: Membership) -> None:
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    case = make_case(tenant, account_id=account.pk, contact_id=contact.pk)
    task = _task(tenant, agent, case=case, due_at=NOW + timedelta(days=1))
    assert (task.account_id, task.contact_id) == (account.pk, contact.pk)
    assert (task.owner_id, task.created_by_id) == (agent.user_id, agent.user_id)
    assert (task.created_at, task.updated_at, task.is_done) == (NOW, NOW, False)
    other = ContactFactory(tenant=tenant)
    given = _task(tenant, agent, case=case, contact_id=other.pk)
    assert (given.account_id, given.contact_id) == (account.pk, other.pk)


def test_a_rules_task_belongs_to_the_case_owner(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, owner_id=agent.user_id)
    task = _task(tenant, None, case=case, made_by_rule_id=7)
    assert (task.owner_id, task.created_by_id, task.made_by_rule_id) == (agent.user_id, None, 7)
    assert _task(tenant, None).owner_id is None


def test_a_contact_alone_brings_its_account(tenant: Tenant, agent: Membership) -> None:
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    task = _task(tenant, agent, contact_id=contact.pk)
    assert (task.account_id, task.contact_id, task.case_id) == (account.pk, contact.pk, None)


@pytest.mark.parametrize(("fields", "field"), [
    ({"subject": "  \n "}, "subject"),
    ({"subject": "x" * 256}, "subject"),
    ({"subject": "bad\x00"}, "subject"),
    ({"notes": "x" * (services.NOTES_MAX + 1)}, "notes"),
])
def test_bad_text_is_refused(tenant: Tenant, agent: Membership, fields: dict[str, Any],
                             field: str) -> None:
    with pytest.raises(Invalid) as refused:
        _task(tenant, agent, **fields)
    assert refused.value.field == field
    assert not Task.objects.exists()


def test_another_tenants_records_are_refused(tenant: Tenant, agent: Membership,
                                             other_tenant: Tenant,
                                             outsider: Membership) -> None:
    foreign_contact = ContactFactory(tenant=other_tenant)
    for fields, field in (({"owner_id": outsider.user_id}, "owner_id"),
                          ({"account_id": AccountFactory(tenant=other_tenant).pk}, "account_id"),
                          ({"contact_id": foreign_contact.pk}, "contact_id"),
                          ({"case": make_case(other_tenant)}, "case")):
        with pytest.raises(Invalid) as refused:
            _task(tenant, agent, **fields)
        assert refused.value.field == field
    assert not Task.objects.exists()


def test_an_inactive_member_cannot_own_a_task(tenant: Tenant, agent: Membership,
                                              agent2: Membership) -> None:
    Membership.objects.filter(pk=agent2.pk).update(is_active=False)
    with pytest.raises(Invalid):
        _task(tenant, agent, owner_id=agent2.user_id)


def test_who_may_see_and_change_a_task(tenant: Tenant, agent: Membership, agent2: Membership,
                                       manager: Membership, outsider: Membership) -> None:
    private = _task(tenant, agent)
    on_case = _task(tenant, agent, case=make_case(tenant))
    handed = _task(tenant, agent, owner_id=agent2.user_id)
    assert get_task_for_member(agent, private.pk, write=True) == private
    assert get_task_for_member(manager, private.pk, write=True) == private
    with pytest.raises(NotFound):
        get_task_for_member(agent2, private.pk)
    assert get_task_for_member(agent2, on_case.pk) == on_case
    with pytest.raises(PermissionDenied):
        get_task_for_member(agent2, on_case.pk, write=True)
    # Both its owner and the member who made it may change it.
    assert get_task_for_member(agent2, handed.pk, write=True) == handed
    assert get_task_for_member(agent, handed.pk, write=True) == handed
    with pytest.raises(NotFound):
        get_task_for_member(outsider, on_case.pk)


def test_done_and_open_again(tenant: Tenant, agent: Membership, manager: Membership) -> None:
    task = _task(tenant, agent)
    later = NOW + timedelta(hours=1)
    done = task_set_done(task=task, done=True, actor=manager.user, now=later)
    assert (done.is_done, done.done_at, done.done_by_id, done.updated_at) == (
        True, later, manager.user_id, later)
    again = task_set_done(task=done, done=True, actor=agent.user, now=later + timedelta(hours=1))
    assert (again.done_at, again.done_by_id) == (later, manager.user_id)
    reopened = task_set_done(task=done, done=False, actor=agent.user, now=later)
    assert (reopened.is_done, reopened.done_at, reopened.done_by_id) == (False, None, None)


def _overdue(tenant: Tenant) -> list[Notification]:
    return list(Notification.objects.filter(tenant=tenant, kind=NotificationKind.TASK_OVERDUE)
                .order_by("pk"))


def test_an_overdue_task_tells_its_owner_once(tenant: Tenant, agent: Membership,
                                              agent2: Membership) -> None:
    case = make_case(tenant)
    late = _task(tenant, agent, subject="Send the quote", due_at=NOW + timedelta(hours=1),
                 case=case)
    own = _task(tenant, agent2, subject="Renew licence", due_at=NOW + timedelta(hours=2))
    _task(tenant, agent, subject="Not yet", due_at=NOW + timedelta(days=2))
    _task(tenant, agent, subject="Undated")
    done = _task(tenant, agent, subject="Done", due_at=NOW)
    task_set_done(task=done, done=True, actor=agent.user, now=NOW)
    assert tasks_notify_overdue(NOW + timedelta(minutes=30)) == 0
    assert tasks_notify_overdue(NOW + timedelta(hours=3)) == 2
    assert tasks_notify_overdue(NOW + timedelta(hours=4)) == 0
    notices = _overdue(tenant)
    assert [(n.recipient_id, n.case_id, n.message) for n in notices] == [
        (agent.user_id, case.pk, "Task overdue: Send the quote"),
        (agent2.user_id, None, "Task overdue: Renew licence")]
    late.refresh_from_db()
    own.refresh_from_db()
    assert late.overdue_notified_at == own.overdue_notified_at == NOW + timedelta(hours=3)


def test_reopening_or_moving_later_tells_a_new_lateness_again(tenant: Tenant,
                                                             agent: Membership) -> None:
    task = _task(tenant, agent, due_at=NOW)
    assert tasks_notify_overdue(NOW + timedelta(hours=1)) == 1
    earlier = task_update(task=task, actor=agent.user, now=NOW,
                          changes={"due_at": NOW - timedelta(hours=1)})
    assert earlier.overdue_notified_at is not None  # still the same lateness
    moved = task_update(task=task, actor=agent.user, now=NOW,
                        changes={"due_at": NOW + timedelta(days=1)})
    assert moved.overdue_notified_at is None
    assert tasks_notify_overdue(NOW + timedelta(hours=2)) == 0
    assert tasks_notify_overdue(NOW + timedelta(days=1, hours=1)) == 1
    done = task_set_done(task=moved, done=True, actor=agent.user, now=NOW)
    assert done.overdue_notified_at is not None
    reopened = task_set_done(task=done, done=False, actor=agent.user, now=NOW)
    assert reopened.overdue_notified_at is None
    assert tasks_notify_overdue(NOW + timedelta(days=2)) == 1
    assert len(_overdue(tenant)) == 3


def test_a_task_without_an_owner_is_marked_and_tells_nobody(tenant: Tenant) -> None:
    task = _task(tenant, None, due_at=NOW)
    assert tasks_notify_overdue(NOW + timedelta(hours=1)) == 1
    task.refresh_from_db()
    assert task.overdue_notified_at is not None
    assert _overdue(tenant) == []


def test_update_refuses_unknown_fields_and_nulls(tenant: Tenant, agent: Membership,
                                                 agent2: Membership) -> None:
    task = _task(tenant, agent)
    for changes, field in (({"is_done": True}, "is_done"), ({"subject": None}, "subject"),
                           ({"owner_id": 10**12}, "owner_id")):
        with pytest.raises(Invalid) as refused:
            task_update(task=task, actor=agent.user, now=NOW, changes=changes)
        assert refused.value.field == field
    changed = task_update(task=task, actor=agent.user, now=NOW + timedelta(hours=1), changes={
        "subject": " New\nsubject ", "owner_id": agent2.user_id, "notes": "x"})
    assert (changed.subject, changed.owner_id, changed.notes, changed.updated_at) == (
        "New subject", agent2.user_id, "x", NOW + timedelta(hours=1))
