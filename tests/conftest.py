"""Shared fixtures: a tenant with an admin, a manager, two agents and an outsider tenant, so
every test can check isolation; API clients acting as each of them."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Membership, Role, Tenant
from casedesk.tenancy.services import membership_add, token_create, user_get_or_create

# The real SMTP peers and the quiet mail desk, for the mail, console and API tests; the
# wall clock moved ahead when CASEDESK_TEST_CLOCK_SHIFT_DAYS says so.
pytest_plugins = ["tests.mail.peers", "tests.clockshift"]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


postgres_only = pytest.mark.skipif(
    "not __import__('os').environ.get('CASEDESK_TEST_DATABASE_URL')",
    reason="needs PostgreSQL: set CASEDESK_TEST_DATABASE_URL",
)


class Clock:
    """What `casedesk.core.clock.now` answers while the `clock` fixture is active."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stops the entry points' clock at `NOW`: what the API and console stamp (they ask
    `casedesk.core.clock.now`) then agrees with the fixed `NOW` the test passes to services."""
    frozen = Clock(NOW)
    monkeypatch.setattr("casedesk.core.clock.now", frozen)
    return frozen


class Api:
    """A test client speaking JSON to /api/v1 with one member's bearer token."""

    def __init__(self, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = Client(headers=headers)

    def _send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": headers} if headers else {}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._send("post", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("put", path, body)

    def delete(self, path: str) -> Any:
        return self._send("delete", path)


@pytest.fixture
def tenant(db: Any) -> Tenant:
    return tenant_create(slug="acme", name="Acme Support", admin_email="admin@acme.test",
                         admin_password="pw-admin-123")


@pytest.fixture
def other_tenant(db: Any) -> Tenant:
    return tenant_create(slug="globex", name="Globex", admin_email="admin@globex.test")


@pytest.fixture
def admin(tenant: Tenant) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(
        tenant=tenant, user__email="admin@acme.test")


@pytest.fixture
def manager(tenant: Tenant) -> Membership:
    user = user_get_or_create(email="mona@acme.test", full_name="Mona Manager",
                              password="pw-mona-123")
    return membership_add(tenant=tenant, user=user, role=Role.MANAGER)


@pytest.fixture
def agent(tenant: Tenant, manager: Membership) -> Membership:
    user = user_get_or_create(email="alice@acme.test", full_name="Alice Agent",
                              password="pw-alice-123")
    return membership_add(tenant=tenant, user=user, role=Role.AGENT, manager=manager)


@pytest.fixture
def agent2(tenant: Tenant, manager: Membership) -> Membership:
    user = user_get_or_create(email="bob@acme.test", full_name="Bob Agent",
                              password="pw-bob-123")
    return membership_add(tenant=tenant, user=user, role=Role.AGENT, manager=manager)


@pytest.fixture
def outsider(other_tenant: Tenant) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(
        tenant=other_tenant, user__email="admin@globex.test")


@pytest.fixture
def api_for() -> Callable[[Membership | None], Api]:
    def make(membership: Membership | None) -> Api:
        if membership is None:
            return Api(None)
        return Api(token_create(membership=membership, name="test").secret)

    return make


@pytest.fixture
def admin_api(api_for: Callable[[Membership], Api], admin: Membership) -> Api:
    return api_for(admin)


@pytest.fixture
def agent_api(api_for: Callable[[Membership], Api], agent: Membership) -> Api:
    return api_for(agent)


@pytest.fixture
def outsider_api(api_for: Callable[[Membership], Api], outsider: Membership) -> Api:
    return api_for(outsider)
