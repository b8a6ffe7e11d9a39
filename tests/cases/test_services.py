"""The case services: each change writes its timeline; a refusal changes nothing."""

from datetime import timedelta

import pytest

from casedesk.cases.creation import CaseInput, case_create, case_follow_up_create
from casedesk.cases.models import Case, CaseAssignment, EventKind, Note, TimelineEvent
from casedesk.cases.ownership import case_change_owner, case_claim, case_claim_next
from casedesk.cases.picklists import INTERNAL_REFERRAL
from casedesk.cases.referrals import assignment_close, assignment_open
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.core.errors import Conflict, Invalid, PermissionDenied
from casedesk.routing.models import Queue
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case


def kinds(case: Case) -> list[str]:
    return list(TimelineEvent.objects.filter(case=case).order_by("id")
                .values_list("kind", flat=True))


def walk(case: Case, actor, *targets: str, now=NOW) -> Case:
    for to in targets:
        case = case_transition(case=case, actor=actor, to=to, note="note for " + to,
                               closed_reason="Resolved", now=now)
    return case


def test_create_writes_a_created_event(tenant, agent) -> None:
    case = make_case(tenant, actor=agent.user, subject=" Printer ", category="Technical",
                     subcategory="Login")
    assert case.subject == "Printer"
    assert case.status == "new"
    # Routing's decision (here the fallback map: Technical goes to Engineering) follows.
    assert kinds(case) == [EventKind.CREATED, EventKind.ROUTED]
    assert case.queue is not None and case.queue.name == "Engineering"


def test_contact_brings_its_account(tenant) -> None:
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    case = make_case(tenant, contact_id=contact.pk)
    assert case.account_id == account.pk


def test_contact_of_another_account_is_refused(tenant) -> None:
    contact = ContactFactory(tenant=tenant, account=AccountFactory(tenant=tenant))
    other = AccountFactory(tenant=tenant)
    with pytest.raises(Invalid) as error:
        make_case(tenant, contact_id=contact.pk, account_id=other.pk)
    assert error.value.field == "contact_id"
    assert Case.objects.count() == 0


def test_other_tenants_records_are_refused(tenant, other_tenant) -> None:
    foreign = AccountFactory(tenant=other_tenant)
    foreign_queue = Queue.objects.get(tenant=other_tenant, name="Support")
    for field, value in (("account_id", foreign.pk), ("queue_id", foreign_queue.pk)):
        with pytest.raises(Invalid) as error:
            make_case(tenant, **{field: value})
        assert error.value.field == field


def test_subcategory_must_belong_to_category(tenant) -> None:
    with pytest.raises(Invalid) as error:
        make_case(tenant, category="Billing", subcategory="Login")
    assert error.value.field == "subcategory"


def test_idempotency_key_returns_the_first_case(tenant) -> None:
    first, created = case_create(tenant=tenant, actor=None, now=NOW, idempotency_key="k1",
                                 data=CaseInput(subject="Once"))
    again, created_again = case_create(tenant=tenant, actor=None, now=NOW, idempotency_key="k1",
                                       data=CaseInput(subject="Once"))
    assert created and not created_again
    assert again.pk == first.pk
    with pytest.raises(Invalid):
        case_create(tenant=tenant, actor=None, now=NOW, idempotency_key="k1",
                    data=CaseInput(subject="Different"))
    assert Case.objects.count() == 1


def test_update_records_each_changed_field_once(tenant, agent) -> None:
    case = make_case(tenant)
    case_update(case=case, actor=agent.user, now=NOW,
                changes={"subject": "New subject", "priority": 4, "tags": ["vip", "vip"]})
    case_update(case=case, actor=agent.user, now=NOW, changes={"subject": "New subject"})
    events = TimelineEvent.objects.filter(case=case, kind=EventKind.FIELD_CHANGED)
    assert sorted((e.field, e.old_value, e.new_value) for e in events) == [
        ("priority", "normal", "urgent"), ("subject", "Cannot log in", "New subject"),
        ("tags", [], ["vip"]),
    ]
    assert all(e.actor_id == agent.user_id for e in events)


def test_status_cannot_be_patched(tenant) -> None:
    case = make_case(tenant)
    with pytest.raises(Invalid) as error:
        case_update(case=case, actor=None, now=NOW, changes={"status": "closed"})
    assert error.value.field == "status"


def test_refused_transition_changes_nothing(tenant, agent) -> None:
    case = make_case(tenant)
    with pytest.raises(Conflict) as error:
        case_transition(case=case, actor=agent.user, to="resolved", note="x", now=NOW)
    assert "Allowed moves from new: open" in error.value.detail
    case.refresh_from_db()
    assert case.status == "new"
    assert kinds(case) == [EventKind.CREATED, EventKind.ROUTED]
    assert not Note.objects.exists()


def test_full_walk_sets_timestamps_and_keeps_notes(tenant, agent) -> None:
    case = walk(make_case(tenant), agent.user, "open", "in_progress", "pending_customer",
                "in_progress", "resolved", "closed")
    assert case.status == "closed"
    assert case.resolved_at == NOW and case.closed_at == NOW
    assert case.closed_reason == "Resolved"
    assert case.closure_note == "note for closed"
    transitions = TimelineEvent.objects.filter(case=case, kind=EventKind.STATUS_CHANGED)
    assert [(e.old_value, e.new_value) for e in transitions] == [
        ("new", "open"), ("open", "in_progress"), ("in_progress", "pending_customer"),
        ("pending_customer", "in_progress"), ("in_progress", "resolved"),
        ("resolved", "closed")]
    assert transitions.last().note.body == "note for closed"


def test_reopen_once_within_window_then_follow_up(tenant, agent) -> None:
    case = walk(make_case(tenant), agent.user, "open", "in_progress", "resolved", "closed")
    case = walk(case, agent.user, "open", now=NOW + timedelta(hours=5))
    assert case.reopen_count == 1 and case.closed_at is None
    case = walk(case, agent.user, "in_progress", "resolved", "closed",
                now=NOW + timedelta(hours=6))
    with pytest.raises(Conflict) as error:
        walk(case, agent.user, "open", now=NOW + timedelta(hours=7))
    assert "follow-up" in error.value.detail
    follow_up = case_follow_up_create(case=case, actor=agent.user, now=NOW + timedelta(hours=7))
    assert follow_up.follow_up_of_id == case.pk
    assert follow_up.number != case.number
    assert EventKind.FOLLOW_UP_CREATED in kinds(case)


def test_reopen_window_is_a_tenant_setting(tenant, agent) -> None:
    tenant.reopen_window = timedelta(days=2)
    tenant.save()
    case = walk(make_case(tenant), agent.user, "open", "in_progress", "resolved", "closed")
    case = walk(case, agent.user, "open", now=NOW + timedelta(days=1))
    assert case.status == "open"


def test_follow_up_of_an_open_case_is_refused(tenant) -> None:
    with pytest.raises(Conflict):
        case_follow_up_create(case=make_case(tenant), actor=None, now=NOW)


def test_first_public_agent_reply_is_first_response_and_sticks(tenant, agent) -> None:
    case = make_case(tenant)
    case_add_note(case=case, actor=agent.user, body="internal", is_public=False, now=NOW)
    case.refresh_from_db()
    assert case.first_response_at is None
    case_add_note(case=case, actor=agent.user, body="Hi!", is_public=True,
                  now=NOW + timedelta(minutes=5))
    case_add_note(case=case, actor=agent.user, body="Again", is_public=True,
                  now=NOW + timedelta(minutes=9))
    case.refresh_from_db()
    assert case.first_response_at == NOW + timedelta(minutes=5)
    assert kinds(case)[2:] == [EventKind.NOTE_ADDED, EventKind.REPLY_ADDED,
                               EventKind.REPLY_ADDED]


def test_claim_takes_a_new_case_and_opens_it(tenant, agent, agent2) -> None:
    queue = Queue.objects.get(tenant=tenant, name="Support")
    queue.members.add(agent, agent2)
    case = make_case(tenant, queue_id=queue.pk)
    case_claim(case=case, membership=agent, now=NOW)
    case.refresh_from_db()
    assert case.owner_id == agent.user_id and case.status == "open"
    with pytest.raises(Conflict) as error:
        case_claim(case=case, membership=agent2, now=NOW)
    assert "Alice Agent" in error.value.detail
    case_claim(case=case, membership=agent, now=NOW)
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.CLAIMED).count() == 1


def test_agent_outside_the_queue_cannot_claim(tenant, agent) -> None:
    queue = Queue.objects.get(tenant=tenant, name="Finance")
    case = make_case(tenant, queue_id=queue.pk)
    with pytest.raises(PermissionDenied):
        case_claim(case=case, membership=agent, now=NOW)


def test_claim_next_takes_urgent_then_high_then_oldest(tenant, agent) -> None:
    queue = Queue.objects.get(tenant=tenant, name="Support")
    queue.members.add(agent)
    old_normal = make_case(tenant, queue_id=queue.pk, priority=2, now=NOW - timedelta(days=3))
    new_high = make_case(tenant, queue_id=queue.pk, priority=3, now=NOW - timedelta(hours=1))
    old_high = make_case(tenant, queue_id=queue.pk, priority=3, now=NOW - timedelta(days=1))
    urgent = make_case(tenant, queue_id=queue.pk, priority=4, now=NOW)
    order = [case_claim_next(queue=queue, membership=agent, now=NOW).pk for _ in range(4)]
    assert order == [urgent.pk, old_high.pk, new_high.pk, old_normal.pk]
    assert case_claim_next(queue=queue, membership=agent, now=NOW) is None


def test_change_owner_to_queue_unassigns(tenant, agent) -> None:
    support = Queue.objects.get(tenant=tenant, name="Support")
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    case = make_case(tenant, queue_id=support.pk)
    case_change_owner(case=case, actor=None, owner=agent.user, now=NOW)
    case.refresh_from_db()
    assert (case.owner_id, case.queue_id) == (agent.user_id, support.pk)
    case_change_owner(case=case, actor=None, queue=finance, now=NOW)
    case.refresh_from_db()
    assert (case.owner_id, case.queue_id) == (None, finance.pk)
    assert kinds(case).count(EventKind.OWNER_CHANGED) == 2


def test_assignments_block_close_and_return_case_to_in_progress(tenant, agent) -> None:
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    case = make_case(tenant)
    first = assignment_open(case=case, actor=agent.user, queue=engineering,
                            description="Check the logs", now=NOW)
    second = assignment_open(case=case, actor=agent.user, queue=finance,
                             description="Refund?", now=NOW)
    case.refresh_from_db()
    assert case.status == "in_progress" and case.sub_status == INTERNAL_REFERRAL
    case = walk(case, agent.user, "resolved")
    with pytest.raises(Conflict) as error:
        walk(case, agent.user, "closed")
    assert "2 open case assignments" in error.value.detail
    case = walk(case, agent.user, "open", "in_progress", "pending_customer")
    assignment_close(assignment=first, actor=agent.user, note="Logs fine", now=NOW)
    case.refresh_from_db()
    assert case.status == "pending_customer"
    with pytest.raises(Conflict):
        assignment_close(assignment=first, actor=agent.user, note="again", now=NOW)
    assignment_close(assignment=second, actor=agent.user, note="Refunded", now=NOW)
    case.refresh_from_db()
    assert case.status == "in_progress" and case.sub_status == ""
    last = TimelineEvent.objects.filter(case=case).order_by("-id").first()
    assert "back in progress" in last.message
    assert not CaseAssignment.objects.filter(case=case, status="open").exists()
    case = walk(case, agent.user, "resolved", "closed")
    assert case.status == "closed"


def test_assignment_needs_description_and_close_needs_note(tenant, agent) -> None:
    queue = Queue.objects.get(tenant=tenant, name="Engineering")
    case = make_case(tenant)
    with pytest.raises(Invalid):
        assignment_open(case=case, actor=agent.user, queue=queue, description=" ", now=NOW)
    assignment = assignment_open(case=case, actor=agent.user, queue=queue, description="Look",
                                 now=NOW)
    with pytest.raises(Invalid):
        assignment_close(assignment=assignment, actor=agent.user, note="", now=NOW)
