"""Fixtures and helpers for the API tests: queues, a settable clock, another tenant's records,
and checks that a response has the documented shape."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import jsonschema_rs
import pytest

from casedesk.api import api as ninja_api
from casedesk.cases.models import Case, CaseAssignment, CustomFieldDefinition, PicklistValue
from casedesk.cases.services import assignment_open
from casedesk.routing.models import Queue
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.sla.services import escalation_rule_save, holiday_add
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import tenant_settings_update, token_create
from tests.conftest import NOW, Api
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case

# ---------------------------------------------------------------------------------------------
# Response checks


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document as served (JSON keys: status codes are strings)."""
    return json.loads(json.dumps(ninja_api.get_openapi_schema(), default=str))


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) the OpenAPI spec lists, path without the /api/v1 prefix."""
    found = []
    for path, item in spec()["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path.removeprefix("/api/v1")))
    return sorted(found)


@cache
def _validator(method: str, template: str, status: int) -> Any:
    operation = spec()["paths"]["/api/v1" + template][method.lower()]
    documented = operation["responses"]
    assert str(status) in documented, (
        f"{method} {template} answered {status}, which its spec does not document")
    schema = documented[str(status)]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": spec()["components"]})


def conforms(response: Any, method: str, template: str) -> Any:
    """The response's JSON after checking it matches what the spec documents for its status."""
    body = response.json()
    errors = [e.message for e in _validator(method, template, response.status_code)
              .iter_errors(body)]
    assert not errors, f"{method} {template} -> {response.status_code}: {errors[:3]}"
    return body


def error(response: Any, status: int, *, field: str | None = None,
          mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    """Checks an error answer: the status, JSON `{"detail": ...}`, the field it names and the
    words its message must contain."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if field is not None:
        assert body.get("field") == field, body
    for word in mentions:
        assert word.lower() in body["detail"].lower(), (word, body["detail"])
    return body


CASE_KEYS = {
    "number", "subject", "description", "status", "sub_status", "priority", "type", "category",
    "subcategory", "source", "language", "account", "contact", "deal_id", "queue", "owner", "tags",
    "custom_fields", "created_at", "updated_at", "first_response_at", "resolved_at",
    "closed_at", "closed_reason", "closure_note", "reopen_count", "follow_up_of",
    "age_seconds", "allowed_transitions", "sla",
}


def numbers(items: list[dict[str, Any]]) -> list[str]:
    return [item["number"] for item in items]


def walk_pages(api: Api, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a cursor-paginated list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(1000):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = api.get(path, **query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def manager_api(api_for: Callable[[Membership], Api], manager: Membership) -> Api:
    return api_for(manager)


@pytest.fixture
def agent2_api(api_for: Callable[[Membership], Api], agent2: Membership) -> Api:
    return api_for(agent2)


@pytest.fixture
def anonymous() -> Api:
    return Api(None)


@pytest.fixture
def support(tenant: Tenant) -> Queue:
    return Queue.objects.get(tenant=tenant, name="Support")


@pytest.fixture
def finance(tenant: Tenant) -> Queue:
    return Queue.objects.get(tenant=tenant, name="Finance")


@pytest.fixture
def engineering(tenant: Tenant) -> Queue:
    return Queue.objects.get(tenant=tenant, name="Engineering")


@pytest.fixture
def agent_in_support(agent: Membership, support: Queue) -> Membership:
    support.members.set([agent])
    return agent


@pytest.fixture
def new_case(admin_api: Api) -> Callable[..., dict[str, Any]]:
    """Creates a case through the API as the admin and returns its JSON."""

    def create(**fields: Any) -> dict[str, Any]:
        fields.setdefault("subject", "Printer on fire")
        response = admin_api.post("/cases", fields)
        assert response.status_code == 201, response.content
        return response.json()

    return create


@dataclass
class Foreign:
    """Records of another tenant, for trying them through this tenant's API."""

    tenant: Tenant
    admin: Membership
    case_number: str
    account_id: int
    contact_id: int
    deal_id: int
    queue_id: int
    assignment_id: int
    picklist_value_id: int
    custom_field_key: str
    token_id: int
    case_pk: int
    rule_id: int
    policy_id: int
    calendar_id: int
    holiday_id: int
    escalation_rule_id: int


@pytest.fixture
def foreign(other_tenant: Tenant, outsider: Membership, tenant: Tenant) -> Iterator[Foreign]:
    """Another tenant with one of everything, its case numbered higher than any of ours."""
    account = AccountFactory(tenant=other_tenant)
    contact = ContactFactory(tenant=other_tenant, account=account)
    deal = DealFactory(tenant=other_tenant, account=account)
    queue = Queue.objects.get(tenant=other_tenant, name="Support")
    queue.members.add(outsider)
    cases = [make_case(other_tenant, subject=f"Globex case {i}", queue_id=queue.pk)
             for i in range(5)]
    case = cases[-1]
    assignment = assignment_open(case=case, actor=outsider.user, queue=queue,
                                 description="Globex engineering please look", now=NOW)
    value = PicklistValue.objects.create(tenant=other_tenant, kind="type", value="Globex only")
    CustomFieldDefinition.objects.create(tenant=other_tenant, key="globex_only",
                                         label="Globex only", kind="text")
    token = token_create(membership=outsider, name="globex").token
    rule = rule_create(tenant=other_tenant, now=NOW, data=RuleInput(
        name="Globex VIP", conditions=[{"field": "category", "op": "equals", "value": "Billing"}],
        actions={"queue_id": queue.pk, "tags": ["globex"]}))
    skill_requirements_set(tenant=other_tenant, requirements=[("Globex only", "", ["globex"])])
    tenant_settings_update(tenant=other_tenant, changes={"reopen_limit": 7,
                                                         "reroute_on_category_change": True})
    calendar = BusinessCalendar.objects.get(tenant=other_tenant)
    holiday = holiday_add(calendar=calendar, name="Globex day", starts_on=date(2026, 12, 1))
    escalation = escalation_rule_save(tenant=other_tenant, now=NOW, values={
        "name": "Globex idle", "conditions": [{"field": "idle_hours", "op": "gt", "value": 1}],
        "actions": {"queue_id": queue.pk, "raise_priority": True, "notify": ["managers"]}})
    assert not Case.objects.filter(tenant=tenant, number=case.number).exists()
    yield Foreign(
        tenant=other_tenant, admin=outsider, case_number=f"CS-{case.number}",
        account_id=account.pk, contact_id=contact.pk, deal_id=deal.pk, queue_id=queue.pk,
        assignment_id=assignment.pk, picklist_value_id=value.pk,
        custom_field_key="globex_only", token_id=token.pk, case_pk=case.pk, rule_id=rule.pk,
        policy_id=SlaPolicy.objects.filter(tenant=other_tenant).first().pk,
        calendar_id=calendar.pk, holiday_id=holiday.pk, escalation_rule_id=escalation.pk,
    )
    # Whatever the test did through the other tenant's API, the foreign records stay put.
    assert CaseAssignment.objects.get(pk=assignment.pk).status == "open"
