"""The case page's "Calls" panel: the case's calls, the latest first; logging one with htmx
(the panel answers in place and tells the page) and without (back to the case page); the
form's errors on their fields; another tenant's case; and the call on the case's timeline."""

from datetime import timedelta

import pytest

from casedesk.calls.domain import CallInput
from casedesk.calls.models import Call
from casedesk.calls.services import call_log
from casedesk.cases.merge import case_merge
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.console.case_panels import case_panels
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(tenant: Tenant) -> Case:
    return make_case(tenant, subject="Invoice missing")


def form(case: Case, **fields: str) -> dict[str, str]:
    prefix = f"case-call-{case.number}"
    values = {
        "direction": "inbound",
        "number": "+44 20 7946 0958",
        "minutes": "5",
        "seconds": "12",
        "outcome": "answered",
        "started_at": "",
        "notes": "Wants the invoice again.",
        **fields,
    }
    return {f"{prefix}-{name}": value for name, value in values.items()}


def add_url(case: Case) -> str:
    return f"/cases/{case.display_number}/calls/new"


def test_the_panel_lists_the_calls_latest_first(
    agent: Membership, agent2: Membership, case: Case, clock: Clock
) -> None:
    call_log(
        case=case,
        actor=agent.user,
        now=NOW - timedelta(hours=2),
        data=CallInput(direction="outbound", number="555 0100", outcome="no_answer"),
    )
    call_log(
        case=case,
        actor=agent2.user,
        now=NOW,
        data=CallInput(
            direction="inbound",
            number="555 0100",
            duration_seconds=75,
            notes="Call me back\nafter lunch",
        ),
    )
    response = login(agent).get(f"/cases/{case.display_number}/calls")
    assert response.status_code == 200
    body = response.content.decode()
    latest, earlier = body.index("Call me back"), body.index("No answer")
    assert latest < earlier
    assert "1 min 15 s" in body and "Call me back<br>after lunch" in body
    assert "logged by Bob Agent" in body and 'href="tel:555 0100"' in body
    assert 'data-testid="call-add"' in body


def test_an_empty_panel_says_so(agent: Membership, case: Case) -> None:
    body = login(agent).get(f"/cases/{case.display_number}/calls").content.decode()
    assert 'data-testid="calls-none"' in body


def test_logging_with_htmx_answers_the_panel_and_tells_the_page(
    agent: Membership, case: Case, clock: Clock
) -> None:
    response = login(agent).post(add_url(case), form(case), **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Call logged." in body and "Wants the invoice again." in body
    assert "casedesk:case-changed" in response["HX-Trigger-After-Settle"]
    assert "casedesk:call-logged" in response["HX-Trigger-After-Settle"]
    call = Call.objects.get(case=case)
    assert (call.number, call.duration_seconds, call.logged_by_id, call.started_at) == (
        "+44 20 7946 0958",
        312,
        agent.user_id,
        NOW,
    )


def test_a_start_time_is_typed_on_the_tenants_clock(
    agent: Membership, tenant: Tenant, case: Case, clock: Clock
) -> None:
    tenant.time_zone = "Europe/Berlin"
    tenant.save(update_fields=["time_zone"])
    login(agent).post(add_url(case), form(case, started_at="2026-11-23T08:30"), **HX)
    assert Call.objects.get(case=case).started_at == NOW - timedelta(minutes=90)


def test_logging_without_javascript_goes_back_to_the_case(
    agent: Membership, case: Case, clock: Clock
) -> None:
    client = login(agent)
    response = client.post(add_url(case), form(case))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    page = client.get(response["Location"]).content.decode()
    assert "Call logged." in page
    refused = client.post(add_url(case), form(case, number="phone me"))
    assert refused.status_code == 302
    assert "only digits" in client.get(refused["Location"]).content.decode()
    assert Call.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"number": ""}, "number", "required"),
        ({"number": "12"}, "number", "3 to 32"),
        ({"minutes": "1440", "seconds": "30"}, "minutes", "one day"),
        ({"minutes": "-1"}, "minutes", "greater than or equal"),
        ({"seconds": "75"}, "seconds", "less than or equal"),
        ({"direction": "up"}, "direction", "valid choice"),
        ({"started_at": "2026-11-23T09:30"}, "started_at", "future"),
        ({"started_at": "yesterday"}, "started_at", "valid date"),
    ],
)
def test_bad_fields_are_errors_on_their_fields(
    agent: Membership, case: Case, clock: Clock, fields: dict[str, str], field: str, words: str
) -> None:
    response = login(agent).post(add_url(case), form(case, **fields), **HX)
    assert response.status_code == 422
    assert response["X-Case-Partial"] == "1"
    errors = response.context["form"].errors
    assert words.lower() in errors[field][0].lower()
    assert '<details class="call-add" open>' in response.content.decode()
    assert not Call.objects.exists()
    assert not TimelineEvent.objects.filter(kind=EventKind.CALL_LOGGED).exists()


def test_a_merged_case_refuses_and_says_why(
    agent: Membership, tenant: Tenant, clock: Clock
) -> None:
    target, duplicate = make_case(tenant), make_case(tenant)
    case_merge(target=target, sources=[duplicate], actor=agent.user, now=NOW)
    response = login(agent).post(add_url(duplicate), form(duplicate), **HX)
    assert response.status_code == 409
    assert "merged into" in response.content.decode()
    assert not Call.objects.exists()


def test_another_tenants_case_is_not_found(
    agent: Membership, outsider: Membership, other_tenant: Tenant, tenant: Tenant
) -> None:
    theirs = make_case(other_tenant)
    number = f"{tenant.case_prefix}-{theirs.number}"
    client = login(agent)
    assert client.get(f"/cases/{number}/calls").status_code == 404
    assert client.post(f"/cases/{number}/calls/new", form(theirs), **HX).status_code == 404
    assert not Call.objects.exists()


def test_the_panel_needs_a_sign_in(case: Case, client) -> None:
    response = client.get(f"/cases/{case.display_number}/calls")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(add_url(case), form(case)).status_code == 302
    assert not Call.objects.exists()


def test_the_case_page_renders_the_panel_with_itself(agent: Membership, case: Case, rf) -> None:
    request = rf.get(f"/cases/{case.display_number}")
    request.user, request.membership = agent.user, agent
    panels = case_panels(request, case)
    assert 'data-testid="calls-panel"' in panels["calls"]


def test_the_call_reads_on_the_case_timeline(agent: Membership, case: Case, clock: Clock) -> None:
    login(agent).post(add_url(case), form(case, notes="Wants the *March* invoice."), **HX)
    page = login(agent).get(f"/cases/{case.display_number}").content.decode()
    assert "logged an inbound call from +44 20 7946 0958 · 5 min 12 s · answered" in page
    assert 'data-testid="call-badge"' in page
    assert "Wants the *March* invoice." in page
