"""Shared fixtures: a tenant with an admin, a manager, two agents and an outsider tenant, so
every test can check isolation; the seeded queues; API clients acting as each of them; another
tenant with one of everything; the clock the entry points read, stopped at `NOW`.

The tenants are copies of one provisioned per session (`tests/tenant_template.py`)."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import AutomationRule, WebhookDelivery
from casedesk.automation.webhooks import EndpointInput, endpoint_create, endpoint_send_test
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.links import link_add
from casedesk.cases.models import (
    Case,
    CaseAssignment,
    CaseLink,
    CustomFieldDefinition,
    PicklistValue,
)
from casedesk.cases.referrals import assignment_open
from casedesk.chat.models import Chat, ChatOffer, ChatState
from casedesk.exporter.services import export_request
from casedesk.kb.attachments import attachment_add
from casedesk.kb.services import article_create, article_publish, category_create
from casedesk.routing.models import Queue
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.calendars import holiday_add
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tasks.services import task_create
from casedesk.tenancy.models import Invitation, Membership, Role, Tenant
from casedesk.tenancy.services import (
    membership_add,
    tenant_settings_update,
    token_create,
    user_get_or_create,
)
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case
from tests.tenant_template import tenant_copy

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


def login(membership: Membership, **client_options: Any) -> Client:
    """A browser client signed in as the member (for the pages; `client_options` go to
    Django's test `Client`, e.g. `enforce_csrf_checks=True`)."""
    client = Client(**client_options)
    client.force_login(membership.user)
    return client


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
    return tenant_copy(slug="acme", name="Acme Support", admin_email="admin@acme.test",
                       admin_password="pw-admin-123")


@pytest.fixture
def other_tenant(db: Any) -> Tenant:
    return tenant_copy(slug="globex", name="Globex", admin_email="admin@globex.test")


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
def support_queue(tenant: Tenant, agent: Membership) -> Queue:
    """The seeded Support queue, with the agent (Alice) in it."""
    queue = Queue.objects.get(tenant=tenant, name="Support")
    queue.members.add(agent)
    return queue


@pytest.fixture
def support_queue_with_both_agents(tenant: Tenant, agent: Membership,
                                   agent2: Membership) -> Queue:
    """The seeded Support queue, with both agents (Alice and Bob) in it."""
    queue = Queue.objects.get(tenant=tenant, name="Support")
    queue.members.add(agent, agent2)
    return queue


@pytest.fixture
def seeded_support_queue(tenant: Tenant) -> Queue:
    """The Support queue as the tenant was given it: the admin its only member."""
    return Queue.objects.get(tenant=tenant, name="Support")


@pytest.fixture
def agent_in_support(agent: Membership, seeded_support_queue: Queue) -> Membership:
    """The agent (Alice), the only member of the Support queue."""
    seeded_support_queue.members.set([agent])
    return agent


@pytest.fixture
def finance(tenant: Tenant) -> Queue:
    """The seeded Finance queue, as the tenant was given it."""
    return Queue.objects.get(tenant=tenant, name="Finance")


@pytest.fixture
def engineering(tenant: Tenant) -> Queue:
    """The seeded Engineering queue, as the tenant was given it."""
    return Queue.objects.get(tenant=tenant, name="Engineering")


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


@pytest.fixture
def manager_api(api_for: Callable[[Membership], Api], manager: Membership) -> Api:
    return api_for(manager)


@pytest.fixture
def agent2_api(api_for: Callable[[Membership], Api], agent2: Membership) -> Api:
    return api_for(agent2)


@pytest.fixture
def anonymous_api() -> Api:
    """The API client without a token."""
    return Api(None)


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
    """Records of another tenant, for trying them through this tenant's API and pages."""

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
    invitation_id: int
    member_user_id: int
    kb_article_id: int
    kb_category_id: int
    kb_attachment_id: int
    automation_rule_id: int
    webhook_id: int
    delivery_id: int
    macro_id: int
    task_id: int
    link_id: int
    note_attachment_id: int
    export_id: int
    chat_public_id: str  # an active chat of the other tenant's admin
    chat_offer_id: int  # a chat offered to the other tenant's admin


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
    invitation = Invitation.objects.create(
        tenant=other_tenant, email="invited@globex.test", nonce="globex", sent_at=NOW,
        expires_at=NOW + timedelta(days=7), created_at=NOW, invited_by=outsider.user)
    globex_agent = membership_add(tenant=other_tenant, user=user_get_or_create(
        email="agent@globex.test", full_name="Globex Agent"), role=Role.AGENT)
    case.owner = globex_agent.user
    case.save(update_fields=["owner"])
    kb_category = category_create(tenant=other_tenant, name="Globex billing", now=NOW)
    kb_article = article_publish(article=article_create(
        tenant=other_tenant, author=outsider.user, title="Globex invoices", body="Globex only",
        category_id=kb_category.pk, now=NOW), actor=outsider.user, now=NOW)
    kb_attachment = attachment_add(article=kb_article, upload=SimpleUploadedFile(
        "globex.png", b"\x89PNG\r\n\x1a\n globex", "image/png"), user=outsider.user, now=NOW)
    automation_rule = AutomationRule.objects.filter(tenant=other_tenant).first()
    assert automation_rule is not None
    webhook = endpoint_create(tenant=other_tenant, now=NOW, data=EndpointInput(
        name="Globex hook", url="http://127.0.0.1:9/globex", events=["case.created"]))
    delivery = endpoint_send_test(endpoint=webhook, now=NOW)
    # A delivery that failed for good: one that could be sent again.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    macro = macro_create(membership=outsider, shared=True, now=NOW, data=MacroInput(
        name="Globex macro", reply="Globex", changes={"priority": "urgent"}))
    task = task_create(tenant=other_tenant, actor=outsider.user, subject="Globex task",
                       now=NOW, case=case)
    link = link_add(case=case, other=cases[-2], kind="child_of", actor=outsider.user, now=NOW)
    note_file = note_add_with_files(
        case=case, actor=outsider.user, body="Globex screenshot", is_public=False, now=NOW,
        uploads=[SimpleUploadedFile("globex.png", b"\x89PNG\r\n\x1a\n globex", "image/png")]
    ).attachments.get()
    export = export_request(tenant=other_tenant, actor=outsider.user, now=NOW,
                            in_background=False)
    # Chats: one the other tenant's admin is in, one offered to them (rows as the services
    # leave them; made directly, so the other tenant's case numbers stay as they are).
    chat = Chat.objects.create(
        tenant=other_tenant, state=ChatState.ACTIVE, visitor_name="Globex visitor",
        visitor_email="visitor@globex-customer.example", case=case, agent=outsider.user,
        created_at=NOW, accepted_at=NOW)
    waiting = Chat.objects.create(
        tenant=other_tenant, state=ChatState.WAITING, visitor_name="Globex visitor",
        visitor_email="visitor@globex-customer.example", case=cases[-2], created_at=NOW)
    chat_offer = ChatOffer.objects.create(tenant=other_tenant, chat=waiting,
                                          agent=outsider.user, created_at=NOW,
                                          expires_at=NOW + timedelta(days=3650))
    assert not Case.objects.filter(tenant=tenant, number=case.number).exists()
    yield Foreign(
        tenant=other_tenant, admin=outsider, case_number=f"CS-{case.number}",
        account_id=account.pk, contact_id=contact.pk, deal_id=deal.pk, queue_id=queue.pk,
        assignment_id=assignment.pk, picklist_value_id=value.pk,
        custom_field_key="globex_only", token_id=token.pk, case_pk=case.pk, rule_id=rule.pk,
        policy_id=SlaPolicy.objects.filter(tenant=other_tenant).first().pk,
        calendar_id=calendar.pk, holiday_id=holiday.pk, escalation_rule_id=escalation.pk,
        invitation_id=invitation.pk, member_user_id=globex_agent.user_id,
        kb_article_id=kb_article.pk, kb_category_id=kb_category.pk,
        kb_attachment_id=kb_attachment.pk, automation_rule_id=automation_rule.pk,
        webhook_id=webhook.pk, delivery_id=delivery.pk, macro_id=macro.pk, task_id=task.pk,
        link_id=link.pk, note_attachment_id=note_file.pk, export_id=export.pk,
        chat_public_id=str(chat.public_id), chat_offer_id=chat_offer.pk,
    )
    # Whatever the test did through the other tenant's API, the foreign records stay put.
    assert CaseAssignment.objects.get(pk=assignment.pk).status == "open"
    invitation.refresh_from_db()
    assert invitation.is_open and invitation.nonce == "globex"
    assert Case.objects.get(pk=case.pk).owner_id == globex_agent.user_id
    assert CaseLink.objects.filter(pk=link.pk).exists()
