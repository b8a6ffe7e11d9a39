"""The calls API: a case's calls listed and logged, one call read, a phone case made with its
call; the 422s naming their field, another tenant's case and call as 404s, read-only tokens
refused, and every answer as the OpenAPI document says."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.calls.domain import CallInput
from casedesk.calls.models import Call
from casedesk.calls.services import call_log
from casedesk.cases.merge import case_merge
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import token_create
from tests.api_checks import CASE_KEYS, conforms, error
from tests.conftest import NOW, Api, Clock
from tests.factories import AccountFactory, ContactFactory, make_case

pytestmark = pytest.mark.django_db
CALL = {
    "direction": "inbound",
    "number": "+44 20 7946 0958",
    "duration_seconds": 312,
    "outcome": "answered",
    "notes": "Wants the invoice again.",
}
CALL_KEYS = {
    "id",
    "case_number",
    "direction",
    "number",
    "duration_seconds",
    "outcome",
    "notes",
    "started_at",
    "logged_by",
    "created_at",
}


@pytest.fixture
def case(tenant: Tenant) -> Case:
    return make_case(tenant, subject="Invoice missing")


def _counts(tenant: Tenant) -> tuple[int, int, int]:
    return (
        Case.objects.filter(tenant=tenant).count(),
        Call.objects.filter(tenant=tenant).count(),
        TimelineEvent.objects.filter(tenant=tenant, kind=EventKind.CALL_LOGGED).count(),
    )


def test_log_a_call_then_list_and_read_it(
    agent_api: Api, agent: Membership, case: Case, clock: Clock
) -> None:
    path = f"/cases/{case.display_number}/calls"
    response = agent_api.post(path, CALL)
    assert response.status_code == 201, response.content
    logged = conforms(response, "POST", "/cases/{number}/calls")
    assert set(logged) == CALL_KEYS
    assert {k: logged[k] for k in CALL} == CALL
    assert logged["case_number"] == case.display_number
    assert logged["logged_by"]["id"] == agent.user_id
    assert logged["started_at"].startswith("2026-11-23T09:00")  # now, by default

    clock.advance(hours=1)
    earlier = (NOW - timedelta(days=1)).isoformat()
    second = agent_api.post(
        path,
        {
            **CALL,
            "direction": "outbound",
            "outcome": "no_answer",
            "duration_seconds": 0,
            "started_at": earlier,
        },
    ).json()
    later = agent_api.post(path, {**CALL, "notes": ""}).json()
    listed = conforms(agent_api.get(path), "GET", "/cases/{number}/calls")
    assert [c["id"] for c in listed] == [later["id"], logged["id"], second["id"]]

    read = conforms(agent_api.get(f"/calls/{logged['id']}"), "GET", "/calls/{call_id}")
    assert read == logged
    timeline = agent_api.get(f"/cases/{case.display_number}/timeline").json()["items"]
    messages = [e["message"] for e in timeline if e["kind"] == "call_logged"]
    assert "Inbound call from +44 20 7946 0958, 5 min 12 s, answered." in messages


@pytest.mark.parametrize(
    "body, field",
    [
        ({**CALL, "number": "12"}, "number"),
        ({**CALL, "number": "phone me"}, "number"),
        ({**CALL, "number": ""}, "number"),
        ({**CALL, "direction": "sideways"}, "direction"),
        ({**CALL, "outcome": "hung_up"}, "outcome"),
        ({**CALL, "duration_seconds": 86_401}, "duration_seconds"),
        ({**CALL, "duration_seconds": -5}, "duration_seconds"),
        ({**CALL, "notes": "x" * 10_001}, "notes"),
        ({**CALL, "notes": "nul \x00"}, "notes"),
        ({**CALL, "started_at": "2026-11-23T09:00:00"}, "started_at"),
        ({**CALL, "started_at": "2026-11-23T09:05:00Z"}, "started_at"),
        ({**CALL, "started_at": "9999-12-31T23:59:59-14:00"}, "started_at"),
        ({"number": "+44 20 7946 0958"}, "direction"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    agent_api: Api, tenant: Tenant, case: Case, clock: Clock, body: dict[str, Any], field: str
) -> None:
    response = agent_api.post(f"/cases/{case.display_number}/calls", body)
    error(response, 422, field=field)
    conforms(response, "POST", "/cases/{number}/calls")
    assert _counts(tenant) == (1, 0, 0)


def test_a_merged_case_is_a_409(
    admin_api: Api, admin: Membership, tenant: Tenant, clock: Clock
) -> None:
    target, duplicate = make_case(tenant), make_case(tenant)
    case_merge(target=target, sources=[duplicate], actor=admin.user, now=NOW)
    response = admin_api.post(f"/cases/{duplicate.display_number}/calls", CALL)
    error(response, 409, mentions=("merged into",))
    assert Call.objects.count() == 0


def test_another_tenants_case_and_call_are_not_found(
    agent_api: Api, outsider: Membership, other_tenant: Tenant, tenant: Tenant, clock: Clock
) -> None:
    theirs = make_case(other_tenant, subject="Globex")
    make_case(tenant)  # ours carries the same number
    their_call = call_log(
        case=theirs,
        actor=outsider.user,
        now=NOW,
        data=CallInput(direction="inbound", number="555 0100"),
    )
    number = f"{tenant.case_prefix}-{theirs.number + 1}"
    for response in (
        agent_api.get(f"/cases/{number}/calls"),
        agent_api.post(f"/cases/{number}/calls", CALL),
        agent_api.get(f"/calls/{their_call.pk}"),
        agent_api.get("/calls/0"),
        agent_api.get(f"/calls/{2**63}"),
    ):
        assert "Globex" not in error(response, 404)["detail"]
    assert Call.objects.filter(tenant=other_tenant).count() == 1
    assert Call.objects.filter(tenant=tenant).count() == 0


def test_each_tenant_sees_its_own_calls_on_the_same_case_number(
    agent_api: Api,
    api_for: Any,
    outsider: Membership,
    tenant: Tenant,
    other_tenant: Tenant,
    clock: Clock,
) -> None:
    ours, theirs = make_case(tenant), make_case(other_tenant)
    assert ours.number == theirs.number
    agent_api.post(f"/cases/{ours.display_number}/calls", CALL)
    api_for(outsider).post(f"/cases/{theirs.display_number}/calls", {**CALL, "number": "555 0100"})
    mine = agent_api.get(f"/cases/{ours.display_number}/calls").json()
    assert [c["number"] for c in mine] == ["+44 20 7946 0958"]
    others = api_for(outsider).get(f"/cases/{theirs.display_number}/calls").json()
    assert [c["number"] for c in others] == ["555 0100"]


def test_a_read_only_token_may_read_but_not_log(
    agent: Membership, tenant: Tenant, case: Case, clock: Clock
) -> None:
    reader = Api(token_create(membership=agent, name="reader", read_only=True).secret)
    path = f"/cases/{case.display_number}/calls"
    error(reader.post(path, CALL), 403, mentions=("read-only",))
    error(reader.post("/calls", {**CALL, "case": {"subject": "x"}}), 403)
    assert reader.get(path).status_code == 200
    assert _counts(tenant) == (1, 0, 0)


def test_no_token_is_a_401(anonymous_api: Api, case: Case) -> None:
    error(anonymous_api.get(f"/cases/{case.display_number}/calls"), 401)
    error(anonymous_api.post("/calls", {**CALL, "case": {"subject": "x"}}), 401)


# --- POST /calls: a phone case with its call --------------------------------------------------


def test_a_phone_case_with_its_call(
    agent_api: Api, agent: Membership, tenant: Tenant, clock: Clock
) -> None:
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    response = agent_api.post(
        "/calls",
        {
            **CALL,
            "case": {
                "subject": "Invoice missing",
                "description": "Called about March.",
                "contact_id": contact.pk,
                "priority": "high",
                "owner_id": agent.user_id,
            },
        },
    )
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", "/calls")
    assert set(body["case"]) == CASE_KEYS and set(body["call"]) == CALL_KEYS
    made = body["case"]
    assert (made["subject"], made["source"], made["priority"], made["account"]["id"]) == (
        "Invoice missing",
        "phone",
        "high",
        account.pk,
    )
    assert body["call"]["case_number"] == made["number"]
    assert {k: body["call"][k] for k in CALL} == CALL
    assert agent_api.get(f"/cases/{made['number']}/calls").json() == [body["call"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({**CALL, "case": {"subject": ""}}, "case.subject"),
        ({**CALL, "case": {"description": "no subject"}}, "case.subject"),
        ({**CALL, "case": {"subject": "Hi", "source": "email"}}, "case.source"),
        ({**CALL, "case": {"subject": "Hi", "priority": "asap"}}, "case.priority"),
        ({**CALL, "case": {"subject": "Hi", "contact_id": 99_999}}, "case.contact_id"),
        ({**CALL, "case": {"subject": "Hi", "type": "Nonsense"}}, "case.type"),
        ({**CALL, "number": "1", "case": {"subject": "Hi"}}, "number"),
        ({**CALL, "duration_seconds": 100_000, "case": {"subject": "Hi"}}, "duration_seconds"),
        (CALL, "case"),
    ],
)
def test_a_refused_phone_case_makes_nothing(
    agent_api: Api, tenant: Tenant, clock: Clock, body: dict[str, Any], field: str
) -> None:
    response = agent_api.post("/calls", body)
    error(response, 422, field=field)
    conforms(response, "POST", "/calls")
    assert _counts(tenant) == (0, 0, 0)


def test_another_tenants_records_in_a_phone_case_are_refused(
    agent_api: Api, tenant: Tenant, other_tenant: Tenant, clock: Clock
) -> None:
    account = AccountFactory(tenant=other_tenant)
    contact = ContactFactory(tenant=other_tenant, account=account)
    for name, value in (("account_id", account.pk), ("contact_id", contact.pk)):
        response = agent_api.post("/calls", {**CALL, "case": {"subject": "Hi", name: value}})
        error(response, 422, field=f"case.{name}")
    assert _counts(tenant) == (0, 0, 0)


def test_a_retried_phone_case_makes_one_case_and_one_call(
    agent_api: Api, tenant: Tenant, clock: Clock
) -> None:
    body = {**CALL, "case": {"subject": "Invoice missing"}}
    first = agent_api.post("/calls", body, **{"Idempotency-Key": "call-42"})
    clock.advance(seconds=30)
    again = agent_api.post("/calls", body, **{"Idempotency-Key": "call-42"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert conforms(again, "POST", "/calls") == first.json() | {"case": again.json()["case"]}
    assert again.json()["call"] == first.json()["call"]
    assert _counts(tenant) == (1, 1, 1)
    other = agent_api.post(
        "/calls", {**body, "notes": "Another call"}, **{"Idempotency-Key": "call-42"}
    )
    error(other, 422, field="Idempotency-Key")
    error(agent_api.post("/calls", body, **{"Idempotency-Key": "  "}), 422, field="Idempotency-Key")
    assert _counts(tenant) == (1, 1, 1)
