"""Authentication and authorization across the whole API: every operation in the spec answers
401 to a missing, malformed, unknown or revoked token, and the admin-only operations answer
403 to agents and managers."""

import re
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Case, CustomFieldDefinition, PicklistValue
from casedesk.crm.models import Account, Contact, Deal
from casedesk.routing.models import Queue
from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import token_create, token_revoke
from tests.api_checks import error, operations, spec
from tests.conftest import NOW, Api
from tests.factories import make_case

PLACEHOLDERS = {"number": "CS-1", "kind": "type", "key": "plan"}
BODIES: dict[str, Any] = {
    "POST": {"subject": "x", "name": "x", "to": "open", "body": "x"}, "PATCH": {"name": "x"},
    "PUT": {"queue_id": 1}, "DELETE": None, "GET": None,
}


def concrete(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "1"), template)


def send(client: Client, method: str, template: str, **headers: str) -> Any:
    body = BODIES[method]
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method.lower())("/api/v1" + concrete(template), **kwargs)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Case, Account, Contact, Deal, Queue, PicklistValue, CustomFieldDefinition, ApiToken)}


@pytest.fixture
def credentials(agent: Membership) -> dict[str, dict[str, str]]:
    revoked = token_create(membership=agent, name="revoked")
    token_revoke(token=revoked.token, now=NOW)
    live = token_create(membership=agent, name="live").secret
    return {
        "no header": {},
        "empty bearer": {"Authorization": "Bearer "},
        "unknown token": {"Authorization": "Bearer cd_not_a_real_token_at_all"},
        "revoked token": {"Authorization": f"Bearer {revoked.secret}"},
        "basic scheme": {"Authorization": f"Basic {live}"},
        "token without scheme": {"Authorization": live},
        "unicode token": {"Authorization": "Bearer tökén\u2603"},
    }


@pytest.fixture
def case_for_auth(tenant: Any) -> None:
    """Something for the unauthenticated calls to hit, so a 401 is not a 404 in disguise."""
    make_case(tenant)


@pytest.mark.parametrize(("method", "template"), operations(),
                         ids=[" ".join(op) for op in operations()])
def test_every_operation_requires_a_valid_token(method, template, credentials, tenant,
                                                 case_for_auth) -> None:
    before = counts()
    client = Client()
    for name, headers in credentials.items():
        response = send(client, method, template, **headers)
        error(response, 401, mentions=("Bearer",))
        assert response["WWW-Authenticate"].startswith("Bearer"), name
    assert counts() == before


def test_a_token_of_a_deactivated_member_or_user_is_refused(agent, api_for) -> None:
    api = api_for(agent)
    assert api.get("/me").status_code == 200
    agent.user.is_active = False
    agent.user.save()
    error(api.get("/me"), 401)
    agent.user.is_active = True
    agent.user.save()
    agent.is_active = False
    agent.save()
    error(api.get("/cases"), 401)


def test_the_spec_and_the_docs_need_no_token(db) -> None:
    client = Client()
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["openapi"].startswith("3.")
    assert client.get("/api/v1/docs").status_code == 200


def test_the_spec_declares_bearer_auth_and_error_answers_for_every_operation() -> None:
    document = spec()
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("security"), (method, path)
            for status in ("401", "403", "404", "409", "422"):
                assert status in operation["responses"], (method, path, status)


# --- 403 -------------------------------------------------------------------------------------

ADMIN_ONLY = {
    ("POST", "/queues"): ("/queues", {"name": "Agents' own"}),
    ("PATCH", "/queues/{queue_id}"): ("/queues/{queue}", {"name": "Renamed"}),
    ("POST", "/picklists/{kind}"): ("/picklists/type", {"value": "Agents' own"}),
    ("PATCH", "/picklists/{kind}/{value_id}"): ("/picklists/type/{value}",
                                                {"is_active": False}),
    ("POST", "/custom-fields"): ("/custom-fields", {"key": "own", "label": "Own",
                                                    "kind": "text"}),
    ("PATCH", "/custom-fields/{key}"): ("/custom-fields/plan", {"label": "Renamed"}),
    ("PATCH", "/members/{user_id}"): ("/members/{user}", {"role": "admin"}),
}


def test_the_admin_only_operations_exist_in_the_spec() -> None:
    assert set(ADMIN_ONLY) <= set(operations())


@pytest.mark.parametrize("role", ["agent", "manager"])
@pytest.mark.parametrize("operation", sorted(ADMIN_ONLY), ids=" ".join)
def test_only_an_admin_may_configure_the_tenant(request, role, operation, tenant, agent2,
                                                api_for) -> None:
    membership = request.getfixturevalue(role)
    support = Queue.objects.get(tenant=tenant, name="Support")
    value = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    template, body = ADMIN_ONLY[operation]
    path = template.format(queue=support.pk, value=value.pk, user=agent2.user_id)
    api: Api = api_for(membership)
    before = counts()
    snapshot = (support.name, value.is_active, agent2.role)
    response = getattr(api, operation[0].lower())(path, body)
    error(response, 403, mentions=("admin",))
    assert counts() == before
    support.refresh_from_db()
    value.refresh_from_db()
    agent2.refresh_from_db()
    assert (support.name, value.is_active, agent2.role) == snapshot
    assert CustomFieldDefinition.objects.get(tenant=tenant, key="plan").label == "Plan"
    admin_api = api_for(Membership.objects.get(tenant=tenant, role="admin"))
    allowed = getattr(admin_api, operation[0].lower())(path, body)
    assert allowed.status_code in (200, 201), allowed.content
