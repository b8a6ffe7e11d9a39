"""The new-case page with the source "phone": it shows the call's fields, makes the case and
logs its call together, puts a refusal of either on its field and then makes nothing, and
leaves the call out of other sources and of a phone case whose call fields are empty."""

import uuid

import pytest

from casedesk.calls.models import Call
from casedesk.cases.models import Case, EventKind, Source, TimelineEvent
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "subject": "Customer cannot log in",
        "description": "Called at 9:05.",
        "source": "phone",
        "priority": "normal",
        "type": "",
        "category": "",
        "subcategory": "",
        "queue": "",
        "owner": "me",
        "account": "",
        "contact": "",
        "tags": "",
        "idempotency_key": str(uuid.uuid4()),
        "call-direction": "inbound",
        "call-number": "+44 20 7946 0958",
        "call-minutes": "5",
        "call-seconds": "12",
        "call-outcome": "answered",
        "call-started_at": "",
        "call-notes": "Locked out after a password reset.",
    }
    data.update(overrides)
    return data


def _nothing_made(tenant: Tenant) -> None:
    assert not Case.objects.filter(tenant=tenant).exists()
    assert not Call.objects.filter(tenant=tenant).exists()


def test_the_page_shows_the_call_fields(agent: Membership) -> None:
    body = login(agent).get("/cases/new").content.decode()
    assert 'data-testid="call-fields"' in body
    for name in ("direction", "number", "minutes", "seconds", "outcome", "started_at", "notes"):
        assert f'name="call-{name}"' in body, name
    assert "calls/calls.css" in body  # hides them for other sources


def test_a_phone_case_is_made_with_its_call(
    tenant: Tenant, agent: Membership, clock: Clock
) -> None:
    contact = ContactFactory(tenant=tenant, account=AccountFactory(tenant=tenant))
    response = login(agent).post("/cases/new", form_data(contact=str(contact.pk)))
    case = Case.objects.get(tenant=tenant)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    assert (case.source, case.contact_id, case.owner_id) == (
        Source.PHONE,
        contact.pk,
        agent.user_id,
    )
    call = Call.objects.get(case=case)
    assert (
        call.direction,
        call.number,
        call.duration_seconds,
        call.outcome,
        call.notes,
        call.started_at,
        call.logged_by_id,
    ) == (
        "inbound",
        "+44 20 7946 0958",
        312,
        "answered",
        "Locked out after a password reset.",
        NOW,
        agent.user_id,
    )
    kinds = list(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count(EventKind.CALL_LOGGED) == 1


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"call-number": "12"}, "number", "3 to 32"),
        ({"call-number": "", "call-notes": "Rang about the invoice"}, "number", "required"),
        ({"call-number": "ask reception"}, "number", "only digits"),
        ({"call-started_at": "2026-11-23T10:00"}, "started_at", "future"),
        ({"call-minutes": "1440", "call-seconds": "1"}, "minutes", "one day"),
        ({"call-seconds": "60"}, "seconds", "less than or equal"),
        ({"call-outcome": "hung_up"}, "outcome", "valid choice"),
    ],
)
def test_a_bad_call_field_is_an_error_there_and_nothing_is_made(
    tenant: Tenant,
    agent: Membership,
    clock: Clock,
    overrides: dict[str, str],
    field: str,
    words: str,
) -> None:
    response = login(agent).post("/cases/new", form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["call_form"].errors
    assert words.lower() in errors[field][0].lower()
    body = response.content.decode()
    assert "The case was not created" in body
    assert 'value="Customer cannot log in"' in body  # what was typed is kept
    _nothing_made(tenant)


def test_a_bad_case_field_is_an_error_on_the_case_and_no_call_is_logged(
    tenant: Tenant, other_tenant: Tenant, agent: Membership, clock: Clock
) -> None:
    foreign = ContactFactory(tenant=other_tenant)
    response = login(agent).post("/cases/new", form_data(contact=str(foreign.pk)))
    assert response.context["form"].errors["contact"] == [f"No contact with id {foreign.pk}."]
    assert not response.context["call_form"].errors
    response = login(agent).post("/cases/new", form_data(category="Billing", subcategory="Login"))
    assert "is not a subcategory" in response.context["form"].errors["subcategory"][0]
    _nothing_made(tenant)


def test_errors_of_both_forms_show_at_once(tenant: Tenant, agent: Membership, clock: Clock) -> None:
    response = login(agent).post("/cases/new", form_data(subject="", **{"call-seconds": "x"}))
    assert "subject" in response.context["form"].errors
    assert "seconds" in response.context["call_form"].errors
    _nothing_made(tenant)


def test_empty_call_fields_make_a_phone_case_without_a_call(
    tenant: Tenant, agent: Membership, clock: Clock
) -> None:
    login(agent).post(
        "/cases/new",
        form_data(**{"call-number": "", "call-minutes": "", "call-seconds": "", "call-notes": ""}),
    )
    case = Case.objects.get(tenant=tenant)
    assert case.source == Source.PHONE
    assert not Call.objects.exists()


def test_other_sources_ignore_the_call_fields(
    tenant: Tenant, agent: Membership, clock: Clock
) -> None:
    response = login(agent).post(
        "/cases/new",
        form_data(source="chat", **{"call-number": "nonsense", "call-seconds": "many"}),
    )
    assert response.status_code == 302
    assert Case.objects.get(tenant=tenant).source == "chat"
    assert not Call.objects.exists()


def test_a_double_submit_makes_one_case_and_one_call(
    tenant: Tenant, agent: Membership, clock: Clock
) -> None:
    client = login(agent)
    data = form_data()
    first, second = client.post("/cases/new", data), client.post("/cases/new", data)
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(tenant=tenant).count() == 1
    assert Call.objects.filter(tenant=tenant).count() == 1
    changed = client.post("/cases/new", {**data, "call-notes": "Another call"})
    assert "submitted already" in changed.context["form"].errors["__all__"][0]
    assert Call.objects.filter(tenant=tenant).count() == 1
