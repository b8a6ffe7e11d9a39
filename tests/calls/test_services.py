"""Logging a call: the row and its one timeline event in the case's change, the case's
`updated_at`, what a call does not count as (a response), refusals that write nothing, a
phone case made with its call in one transaction, and calls moving with a merge."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.calls.domain import CallInput
from casedesk.calls.models import Call
from casedesk.calls.services import call_log, phone_case_create
from casedesk.cases.creation import CaseInput
from casedesk.cases.merge import case_merge, case_merge_undo
from casedesk.cases.models import Case, EventKind, Source, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.core.errors import Conflict, Invalid
from casedesk.privacy.erasure import contact_erase
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(hours=2)


def inbound(**fields: Any) -> CallInput:
    values: dict[str, Any] = {
        "direction": "inbound",
        "number": " +44 20 7946 0958 ",
        "duration_seconds": 312,
        "notes": "Wants the invoice again.",
    }
    return CallInput(**{**values, **fields})


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("tenant").get(pk=case.pk)


def _calls_and_events(tenant: Tenant) -> tuple[int, int]:
    return (
        Call.objects.filter(tenant=tenant).count(),
        TimelineEvent.objects.filter(tenant=tenant, kind=EventKind.CALL_LOGGED).count(),
    )


def test_a_call_is_a_row_and_one_timeline_event(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant)
    call = call_log(case=case, actor=agent.user, data=inbound(), now=LATER)
    stored = Call.objects.get(pk=call.pk)
    assert (
        stored.tenant_id,
        stored.case_id,
        stored.direction,
        stored.number,
        stored.duration_seconds,
        stored.outcome,
        stored.notes,
        stored.started_at,
        stored.logged_by_id,
        stored.created_at,
    ) == (
        tenant.pk,
        case.pk,
        "inbound",
        "+44 20 7946 0958",
        312,
        "answered",
        "Wants the invoice again.",
        LATER,
        agent.user_id,
        LATER,
    )
    (logged,) = TimelineEvent.objects.filter(case=case, kind=EventKind.CALL_LOGGED)
    assert logged.actor_id == agent.user_id and logged.created_at == LATER
    assert logged.message == "Inbound call from +44 20 7946 0958, 5 min 12 s, answered."
    assert logged.new_value == {
        "call_id": call.pk,
        "direction": "inbound",
        "number": "+44 20 7946 0958",
        "duration_seconds": 312,
        "outcome": "answered",
        "notes": "Wants the invoice again.",
        "started_at": LATER.isoformat(),
    }
    assert _fresh(case).updated_at == LATER


def test_a_call_is_not_the_first_response(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, owner_id=agent.user_id)
    before = _fresh(case)
    call_log(
        case=case,
        actor=agent.user,
        now=LATER,
        data=inbound(direction="outbound", outcome="answered"),
    )
    after = _fresh(case)
    assert after.first_response_at is None
    assert (after.first_response_due_at, after.first_response_breached_at, after.status) == (
        before.first_response_due_at,
        before.first_response_breached_at,
        before.status,
    )


def test_an_earlier_call_can_be_logged_after_the_fact(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant)
    call = call_log(
        case=case,
        actor=agent.user,
        now=LATER,
        data=inbound(started_at=NOW - timedelta(days=3), outcome="voicemail", duration_seconds=0),
    )
    assert call.started_at == NOW - timedelta(days=3)
    event = TimelineEvent.objects.get(case=case, kind=EventKind.CALL_LOGGED)
    assert event.created_at == LATER and event.message.endswith(", voicemail.")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"number": "call me"}, "number"),
        ({"direction": "up"}, "direction"),
        ({"duration_seconds": 90_000}, "duration_seconds"),
        ({"outcome": "maybe"}, "outcome"),
        ({"notes": "nul \x00 byte"}, "notes"),
        ({"started_at": LATER + timedelta(minutes=5)}, "started_at"),
    ],
)
def test_a_bad_field_is_refused_and_nothing_is_written(
    tenant: Tenant, agent: Membership, fields: dict[str, Any], field: str
) -> None:
    case = make_case(tenant)
    with pytest.raises(Invalid) as refused:
        call_log(case=case, actor=agent.user, data=inbound(**fields), now=LATER)
    assert refused.value.field == field
    assert _calls_and_events(tenant) == (0, 0)
    assert _fresh(case).updated_at == NOW


def test_a_call_on_a_closed_case_is_logged_and_moves_nothing(
    tenant: Tenant, agent: Membership
) -> None:
    case = make_case(tenant, owner_id=agent.user_id)
    for to in ("open", "in_progress", "resolved"):
        case = case_transition(case=case, actor=agent.user, to=to, now=NOW, note="Done.")
    case = case_transition(
        case=case, actor=agent.user, to="closed", now=NOW, note="Done.", closed_reason="Resolved"
    )
    call_log(case=case, actor=agent.user, data=inbound(), now=LATER)
    assert _fresh(case).status == "closed"
    assert _calls_and_events(tenant) == (1, 1)


def test_a_merged_case_refuses_a_call(tenant: Tenant, agent: Membership) -> None:
    target, duplicate = make_case(tenant), make_case(tenant)
    case_merge(target=target, sources=[duplicate], actor=agent.user, now=NOW)
    with pytest.raises(Conflict) as refused:
        call_log(case=duplicate, actor=agent.user, data=inbound(), now=LATER)
    assert f"merged into {target.display_number}" in refused.value.detail
    assert _calls_and_events(tenant) == (0, 0)


def test_a_merge_moves_the_calls_and_an_undo_moves_them_back(
    tenant: Tenant, agent: Membership
) -> None:
    target, duplicate = make_case(tenant), make_case(tenant)
    call = call_log(case=duplicate, actor=agent.user, data=inbound(), now=NOW)
    event = TimelineEvent.objects.get(case=duplicate, kind=EventKind.CALL_LOGGED)
    case_merge(target=target, sources=[duplicate], actor=agent.user, now=NOW)
    assert Call.objects.get(pk=call.pk).case_id == target.pk
    assert TimelineEvent.objects.get(pk=event.pk).case_id == target.pk
    case_merge_undo(case=_fresh(target), actor=agent.user, now=NOW + timedelta(minutes=5))
    assert Call.objects.get(pk=call.pk).case_id == duplicate.pk
    assert TimelineEvent.objects.get(pk=event.pk).case_id == duplicate.pk


# --- a phone case with its call -------------------------------------------------------------


def test_a_phone_case_is_made_with_its_call(tenant: Tenant, agent: Membership) -> None:
    contact = ContactFactory(tenant=tenant, account=AccountFactory(tenant=tenant))
    made = phone_case_create(
        tenant=tenant,
        actor=agent.user,
        now=NOW,
        call=inbound(),
        case_input=CaseInput(subject="Invoice missing", contact_id=contact.pk, source="api"),
    )
    assert made.created
    case = _fresh(made.case)
    assert (case.subject, case.source, case.contact_id) == (
        "Invoice missing",
        Source.PHONE,
        contact.pk,
    )
    assert made.call.case_id == case.pk and made.call.logged_by_id == agent.user_id
    kinds = list(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[0] == EventKind.CREATED and kinds.count(EventKind.CALL_LOGGED) == 1


def test_a_bad_call_makes_no_case(tenant: Tenant, agent: Membership) -> None:
    with pytest.raises(Invalid) as refused:
        phone_case_create(
            tenant=tenant,
            actor=agent.user,
            now=NOW,
            call=inbound(number="12"),
            case_input=CaseInput(subject="Invoice missing"),
        )
    assert refused.value.field == "number"
    assert not Case.objects.filter(tenant=tenant).exists()
    assert _calls_and_events(tenant) == (0, 0)


def test_a_bad_case_names_the_case_field_and_logs_no_call(
    tenant: Tenant, other_tenant: Tenant, agent: Membership
) -> None:
    foreign = ContactFactory(tenant=other_tenant)
    with pytest.raises(Invalid) as refused:
        phone_case_create(
            tenant=tenant,
            actor=agent.user,
            now=NOW,
            call=inbound(),
            case_input=CaseInput(subject="Hi", contact_id=foreign.pk),
        )
    assert refused.value.field == "case.contact_id"
    assert not Case.objects.filter(tenant=tenant).exists()
    assert _calls_and_events(tenant) == (0, 0)


def test_a_failing_call_rolls_the_new_case_back(
    tenant: Tenant, agent: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case is written before its call: a call refused then takes the case with it."""

    def refuse(**kwargs: Any) -> Call:
        raise Conflict("The line dropped.")

    monkeypatch.setattr("casedesk.calls.services.call_log", refuse)
    with pytest.raises(Conflict):
        phone_case_create(
            tenant=tenant,
            actor=agent.user,
            now=NOW,
            call=inbound(),
            case_input=CaseInput(subject="Invoice missing"),
        )
    assert not Case.objects.filter(tenant=tenant).exists()


def test_the_same_key_makes_one_case_and_one_call(tenant: Tenant, agent: Membership) -> None:
    def make(**call_fields: Any) -> Any:
        return phone_case_create(
            tenant=tenant,
            actor=agent.user,
            now=NOW,
            call=inbound(**call_fields),
            idempotency_key="call-1",
            case_input=CaseInput(subject="Invoice missing"),
        )

    first, again = make(), make()
    assert first.created and not again.created
    assert (again.case.pk, again.call.pk) == (first.case.pk, first.call.pk)
    assert _calls_and_events(tenant) == (1, 1)
    with pytest.raises(Invalid) as refused:
        make(notes="Something else")
    assert refused.value.field == "Idempotency-Key"
    assert _calls_and_events(tenant) == (1, 1)


def test_erasing_a_contact_erases_their_number_from_their_calls(
    tenant: Tenant, agent: Membership
) -> None:
    """Privacy's last pass finds the number where the contact record spells it alike."""
    contact = ContactFactory(tenant=tenant, phone="+44 20 7946 0958")
    case = make_case(tenant, contact_id=contact.pk)
    call = call_log(
        case=case,
        actor=agent.user,
        now=NOW,
        data=inbound(notes="Rang from +44 20 7946 0958 about the invoice."),
    )
    contact_erase(contact=contact, actor=agent.user, now=LATER)
    erased = Call.objects.get(pk=call.pk)
    assert "7946" not in erased.number and "7946" not in erased.notes
    event = TimelineEvent.objects.get(case=case, kind=EventKind.CALL_LOGGED)
    assert "7946" not in event.message and "7946" not in str(event.new_value)
