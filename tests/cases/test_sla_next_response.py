"""The next-response clock: it runs from a customer's message after the first response until
an agent's next public reply; the sweep marks it breached, a late answer marks it too."""

from datetime import timedelta

import pytest

from casedesk.cases.lifecycle import is_done
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import (
    CustomerMessage,
    case_add_note,
    case_customer_reply,
    case_transition,
)
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.priority import Priority
from casedesk.sla.models import SlaPolicy
from casedesk.sla.readings import BREACHED, RUNNING, clocks_of
from casedesk.tenancy.services import tenant_bump_version
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)


@pytest.fixture
def answered(tenant, agent) -> Case:
    """A normal-priority case whose policy wants the next answer within an hour (calendar
    time), answered once already."""
    SlaPolicy.objects.filter(tenant=tenant).update(next_response_minutes=60,
                                                   next_response_business=False)
    tenant_bump_version(tenant, "sla_version")
    tenant.refresh_from_db()
    case = make_case(tenant, subject="Login fails", priority=Priority.NORMAL, now=NOW)
    case = case_transition(case=case, actor=agent.user, to="open", note="", now=NOW)
    case_add_note(case=case, actor=agent.user, body="Looking.", is_public=True, now=NOW)
    return Case.objects.get(pk=case.pk)


def customer(case: Case, at, body="Any news?") -> Case:
    case, _ = case_customer_reply(case=case, message=CustomerMessage(
        body=body, author_email="jo@customer.example"), now=at)
    return Case.objects.get(pk=case.pk)


def next_clock(case: Case, now):
    views = clocks_of(case, now, done=is_done(case.status))
    return next((v for v in views if v.target == "next_response"), None)


def test_a_customer_message_starts_it_and_an_answer_in_time_stops_it(answered, agent) -> None:
    assert next_clock(answered, NOW) is None
    case = customer(answered, NOW + H)
    assert case.next_response_due_at == NOW + 2 * H
    assert next_clock(case, NOW + H).state == RUNNING
    case = customer(case, NOW + H + timedelta(minutes=30), "Hello?")
    assert case.next_response_due_at == NOW + 2 * H  # the earliest unanswered message counts
    case_add_note(case=case, actor=agent.user, body="Fixed.", is_public=True,
                  now=NOW + H + timedelta(minutes=45))
    case = Case.objects.get(pk=case.pk)
    assert case.next_response_due_at is None and case.next_response_breached_at is None
    assert next_clock(case, NOW + 3 * H) is None


def test_the_sweep_marks_a_late_answer_once_and_raises_the_priority(answered, agent) -> None:
    case = customer(answered, NOW + H)
    assert sla_sweep(now=NOW + 2 * H - timedelta(minutes=1)).cases == []
    report = sla_sweep(now=NOW + 2 * H + timedelta(minutes=1))
    assert report.cases == [case.pk] and report.breached_next_response == 1
    assert sla_sweep(now=NOW + 3 * H).cases == []
    case = Case.objects.get(pk=case.pk)
    assert case.next_response_breached_at == NOW + 2 * H + timedelta(minutes=1)
    assert case.priority == Priority.HIGH
    assert next_clock(case, NOW + 3 * H).state == BREACHED
    event = TimelineEvent.objects.filter(case=case, kind=EventKind.SLA_BREACHED).get()
    assert "next response" in event.message
    case_add_note(case=case, actor=agent.user, body="Sorry.", is_public=True, now=NOW + 4 * H)
    case = Case.objects.get(pk=case.pk)
    assert case.next_response_due_at is None
    assert next_clock(case, NOW + 4 * H).state == BREACHED  # the latest wait was breached


def test_an_answer_after_the_due_time_that_no_sweep_saw_is_a_breach(answered, agent) -> None:
    case = customer(answered, NOW + H)
    case_add_note(case=case, actor=agent.user, body="Late.", is_public=True, now=NOW + 5 * H)
    case = Case.objects.get(pk=case.pk)
    assert case.next_response_breached_at == NOW + 5 * H
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.SLA_BREACHED,
                                        message__contains="met after it was due").exists()


def test_it_stops_when_the_case_waits_on_the_customer(answered, agent) -> None:
    case = customer(answered, NOW + H)
    case = case_transition(case=case, actor=agent.user, to="in_progress", note="", now=NOW + H)
    case = case_transition(case=case, actor=agent.user, to="pending_customer", note="",
                           now=NOW + H + timedelta(minutes=10))
    case = Case.objects.get(pk=case.pk)
    assert case.next_response_due_at is None and case.next_response_breached_at is None


def test_no_clock_before_the_first_response_or_without_a_target(tenant, agent) -> None:
    case = make_case(tenant, subject="New", now=NOW)
    case = customer(case, NOW + H)
    assert case.next_response_due_at is None  # the first-response clock covers it
    SlaPolicy.objects.filter(tenant=tenant).update(next_response_minutes=None)
    tenant_bump_version(tenant, "sla_version")
    case_add_note(case=case, actor=agent.user, body="Hi.", is_public=True, now=NOW + H)
    case = customer(Case.objects.select_related("tenant").get(pk=case.pk), NOW + 2 * H)
    assert case.next_response_due_at is None


def test_new_tenants_get_a_next_response_target_per_priority(tenant) -> None:
    targets = dict(SlaPolicy.objects.filter(tenant=tenant).values_list(
        "first_response_minutes", "next_response_minutes"))
    assert targets and all(first == following for first, following in targets.items())
