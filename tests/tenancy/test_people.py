"""The tenant's people: adding a member by API, changing a role, deactivating (sessions and
tokens refused at once, open cases handed on in one step) and re-activating, the last admin
kept, password reset by email, and the settings page."""

import re

import pytest
from django.test import Client

from casedesk.cases.models import Case, TimelineEvent
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Role, Tenant, User
from casedesk.tenancy.services import token_create
from tests.conftest import Api, login
from tests.factories import make_case
from tests.tenancy.pages import has_error

PASSWORD = "a long enough secret 42"


# --- POST /members --------------------------------------------------------------------------

def test_an_admin_adds_a_member_by_api(admin_api: Api, tenant: Tenant) -> None:
    response = admin_api.post("/members", {"email": "Bo@Example.com", "role": "manager",
                                           "name": "Bo", "password": PASSWORD})
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "bo@example.com"
    assert response.json()["role"] == "manager"
    member = Membership.objects.get(tenant=tenant, user__email="bo@example.com")
    assert member.user.check_password(PASSWORD)
    listed = [m["email"] for m in admin_api.get("/members").json()]
    assert "bo@example.com" in listed


def test_adding_a_member_twice_is_a_409(admin_api: Api, agent: Membership) -> None:
    response = admin_api.post("/members", {"email": agent.user.email, "role": "admin"})
    assert response.status_code == 409
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


@pytest.mark.parametrize("body, field", [
    ({"email": "x@example.com", "password": "123"}, "password"),
    ({"email": "x@example.com", "role": "root"}, "role"),
    ({"email": "no"}, "email"),
    ({"email": "x@example.com", "name": "n" * 201}, "name"),
])
def test_bad_members_are_422(admin_api: Api, body: dict, field: str) -> None:
    response = admin_api.post("/members", body)
    assert response.status_code == 422 and field in response.content.decode()
    assert not User.objects.filter(email="x@example.com").exists()


def test_only_admins_add_members(agent_api: Api, manager_api: Api) -> None:
    for api in (agent_api, manager_api):
        assert api.post("/members", {"email": "x@example.com"}).status_code == 403


# --- roles and the last admin ---------------------------------------------------------------

def test_the_last_active_admin_is_neither_demoted_nor_deactivated(
        admin_api: Api, admin: Membership, manager: Membership) -> None:
    second = admin_api.post("/members", {"email": "co@example.com", "role": "admin"}).json()
    co_api = Api(token_create(membership=Membership.objects.get(
        user_id=second["user_id"], tenant=admin.tenant)).secret)
    # Two admins: one may step the other down...
    assert co_api.patch(f"/members/{admin.user_id}", {"role": "manager"}).status_code == 200
    # ...but not the other way round now: the co-admin is the last one.
    admin_again = Api(token_create(membership=manager).secret)
    manager.role = Role.ADMIN
    manager.save()
    assert co_api.patch(f"/members/{manager.user_id}", {"role": "agent"}).status_code == 200
    refused = admin_again.patch(f"/members/{second['user_id']}", {"role": "agent"})
    assert refused.status_code == 403  # the manager is no admin any more
    last = Membership.objects.get(user_id=second["user_id"], tenant=admin.tenant)
    other = login(last)
    response = other.post(f"/settings/people/{last.user_id}/active", {"active": "0"},
                          follow=True)
    last.refresh_from_db()
    assert last.is_active and last.role == Role.ADMIN
    assert "cannot remove your own admin rights" in response.content.decode()


def test_a_role_change_from_the_person_page(admin: Membership, agent: Membership,
                                            manager: Membership) -> None:
    browser = login(admin)
    page = browser.get(f"/settings/people/{agent.user_id}")
    assert page.status_code == 200 and 'data-testid="member-form"' in page.content.decode()
    saved = browser.post(f"/settings/people/{agent.user_id}",
                         {"role": "manager", "manager": ""})
    assert saved.status_code == 302
    agent.refresh_from_db()
    assert agent.role == Role.MANAGER and agent.manager_id is None
    refused = browser.post(f"/settings/people/{agent.user_id}",
                           {"role": "manager", "manager": str(agent.user_id)})
    # A member is not offered as their own manager; sent anyway, the field refuses it.
    assert refused.status_code == 422
    assert has_error(refused, "manager")


def test_managers_read_the_people_pages_but_change_nothing(manager: Membership,
                                                           agent: Membership) -> None:
    browser = login(manager)
    assert browser.get("/settings/people").status_code == 200
    assert browser.get(f"/settings/people/{agent.user_id}").status_code == 200
    assert browser.post(f"/settings/people/{agent.user_id}",
                        {"role": "admin"}).status_code == 403
    assert browser.post(f"/settings/people/{agent.user_id}/active",
                        {"active": "0"}).status_code == 403
    agent.refresh_from_db()
    assert agent.role == Role.AGENT and agent.is_active


def test_another_tenants_member_is_a_404(admin: Membership, admin_api: Api,
                                         outsider: Membership) -> None:
    browser = login(admin)
    assert browser.get(f"/settings/people/{outsider.user_id}").status_code == 404
    assert browser.post(f"/settings/people/{outsider.user_id}/active",
                        {"active": "0"}).status_code == 404
    assert browser.get(f"/settings/people/{outsider.user_id}/cases").status_code == 404
    assert admin_api.get(f"/members/{outsider.user_id}/cases").status_code == 404
    assert admin_api.post(f"/members/{outsider.user_id}/cases/hand-on",
                          {}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active


# --- deactivation ---------------------------------------------------------------------------

def test_deactivating_refuses_their_session_and_tokens_at_once(
        admin: Membership, agent: Membership, clock) -> None:
    session = login(agent)
    token = Api(token_create(membership=agent).secret)
    assert session.get("/inbox/cases").status_code == 200
    assert token.get("/me").status_code == 200

    done = login(admin).post(f"/settings/people/{agent.user_id}/active", {"active": "0"})
    assert done.status_code == 302

    assert session.get("/inbox/cases").status_code == 403  # no tenant left to work in
    assert token.get("/me").status_code == 401
    fresh = Client()
    fresh.post("/login/", {"username": agent.user.email, "password": "x"})
    assert fresh.get("/inbox/cases").status_code in (302, 403)

    login(admin).post(f"/settings/people/{agent.user_id}/active", {"active": "1"})
    assert session.get("/inbox/cases").status_code == 200
    assert token.get("/me").status_code == 200


def test_a_deactivated_member_of_two_tenants_keeps_the_other(
        admin: Membership, agent: Membership, other_tenant: Tenant) -> None:
    Membership.objects.create(tenant=other_tenant, user=agent.user, role=Role.AGENT)
    session = login(agent)
    session.get("/inbox/cases")
    login(admin).post(f"/settings/people/{agent.user_id}/active", {"active": "0"})
    page = session.get("/inbox/cases")
    assert page.status_code == 200
    assert session.session["casedesk_tenant_id"] == other_tenant.pk


def test_deactivating_leads_to_handing_the_open_cases_on(
        admin: Membership, agent: Membership, agent2: Membership, tenant: Tenant,
        seeded_support_queue: Queue, clock) -> None:
    mine = [make_case(tenant, owner_id=agent.user_id, queue_id=seeded_support_queue.pk,
                      subject=f"Case {i}") for i in range(3)]
    browser = login(admin)
    people = browser.get("/settings/people").content.decode()
    assert f'href="/settings/people/{agent.user_id}/cases">3<' in people

    done = browser.post(f"/settings/people/{agent.user_id}/active", {"active": "0"})
    assert done["Location"] == f"/settings/people/{agent.user_id}/cases"
    listed = browser.get(done["Location"]).content.decode()
    assert listed.count('data-testid="member-case"') == 3

    moved = browser.post(done["Location"], {"to": str(agent2.user_id)}, follow=True)
    assert "3 cases of" in moved.content.decode()
    assert set(Case.objects.filter(pk__in=[c.pk for c in mine])
               .values_list("owner_id", flat=True)) == {agent2.user_id}
    assert TimelineEvent.objects.filter(case__in=mine, kind="owner_changed").count() == 3


def test_handing_on_to_their_queues_or_refusing(admin_api: Api, agent: Membership,
                                                tenant: Tenant, seeded_support_queue: Queue,
                                                outsider: Membership, clock) -> None:
    in_queue = make_case(tenant, owner_id=agent.user_id, queue_id=seeded_support_queue.pk)
    listed = admin_api.get(f"/members/{agent.user_id}/cases").json()
    assert [c["number"] for c in listed["items"]] == [in_queue.display_number]
    # Nobody of another tenant, nor the member themselves, can take them.
    for to in (outsider.user_id, agent.user_id, 999999):
        refused = admin_api.post(f"/members/{agent.user_id}/cases/hand-on",
                                 {"to_user_id": to})
        assert refused.status_code == 422, refused.content
    moved = admin_api.post(f"/members/{agent.user_id}/cases/hand-on", {})
    assert moved.json() == {"moved": 1}
    in_queue.refresh_from_db()
    assert in_queue.owner_id is None and in_queue.queue_id == seeded_support_queue.pk
    # A case in no queue cannot go "back to its queue": a person must take it.
    loose = make_case(tenant, owner_id=agent.user_id)
    loose.queue = None
    loose.save()
    refused = admin_api.post(f"/members/{agent.user_id}/cases/hand-on", {})
    assert refused.status_code == 409 and "no queue" in refused.json()["detail"]
    loose.refresh_from_db()
    assert loose.owner_id == agent.user_id


def test_only_admins_hand_cases_on(agent_api: Api, manager_api: Api,
                                   agent2: Membership) -> None:
    for api in (agent_api, manager_api):
        assert api.post(f"/members/{agent2.user_id}/cases/hand-on", {}).status_code == 403
    assert agent_api.get(f"/members/{agent2.user_id}/cases").status_code == 403
    assert manager_api.get(f"/members/{agent2.user_id}/cases").status_code == 200


# --- password reset -------------------------------------------------------------------------

def test_password_reset_by_email(agent: Membership, tenant: Tenant) -> None:
    asked = Client().post("/password-reset/", {"email": agent.user.email.upper()})
    assert asked.status_code == 302 and asked["Location"] == "/password-reset/sent"
    mail = OutboundMail.objects.get(recipient=agent.user.email)
    assert mail.kind == OutboundKind.ACCOUNT and mail.tenant_id == tenant.pk
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", mail.body)
    assert link, mail.body

    browser = Client()
    form = browser.get(link.group(1), follow=True)
    assert 'data-testid="new-password"' in form.content.decode()
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD,
                                                     "new_password2": PASSWORD})
    assert done.status_code == 302
    agent.user.refresh_from_db()
    assert agent.user.check_password(PASSWORD)
    assert Client().post("/login/", {"username": agent.user.email,
                                     "password": PASSWORD}).status_code == 302
    # The link was good once.
    again = Client().get(link.group(1), follow=True)
    assert 'data-testid="reset-invalid"' in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db) -> None:
    asked = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert asked.status_code == 302 and asked["Location"] == "/password-reset/sent"
    assert not OutboundMail.objects.exists()


def test_the_login_page_offers_the_reset(db) -> None:
    assert "/password-reset/" in Client().get("/login/").content.decode()


# --- tenant settings ------------------------------------------------------------------------

def test_an_admin_changes_the_tenant_settings(admin: Membership, tenant: Tenant) -> None:
    browser = login(admin)
    page = browser.get("/settings/")
    body = page.content.decode()
    assert page.status_code == 200
    for link in ("/settings/people", "/routing/queues", "/settings/fields", "/sla/settings",
                 "/mail/settings"):
        assert f'href="{link}' in body
    saved = browser.post("/settings/", {
        "name": "Acme Support", "time_zone": "Europe/Berlin", "routing_enabled": "on",
        "reopen_limit": "2", "reopen_window_hours": "48"})
    assert saved.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.name, tenant.time_zone, tenant.routing_enabled,
            tenant.reroute_on_category_change, tenant.reopen_limit) == (
        "Acme Support", "Europe/Berlin", True, False, 2)
    assert tenant.reopen_window.total_seconds() == 48 * 3600


def test_bad_settings_are_refused_on_their_field(admin: Membership, tenant: Tenant) -> None:
    response = login(admin).post("/settings/", {
        "name": "", "time_zone": "Mars/Olympus", "reopen_limit": "-1",
        "reopen_window_hours": "1"})
    assert response.status_code == 422
    for field in ("name", "time_zone", "reopen_limit"):
        assert has_error(response, field), field
    tenant.refresh_from_db()
    assert tenant.time_zone == "UTC"


def test_settings_by_api_include_name_and_zone(admin_api: Api, tenant: Tenant) -> None:
    response = admin_api.patch("/tenant/settings", {"time_zone": "Asia/Tokyo",
                                                    "name": "Acme JP"})
    assert response.status_code == 200
    assert (response.json()["time_zone"], response.json()["name"]) == ("Asia/Tokyo",
                                                                       "Acme JP")
    bad = admin_api.patch("/tenant/settings", {"time_zone": "../etc/passwd"})
    assert bad.status_code == 422 and bad.json()["field"] == "time_zone"
    long = admin_api.patch("/tenant/settings", {"name": "n" * 201})
    assert long.status_code == 422


def test_managers_read_settings_agents_do_not(manager: Membership, agent: Membership,
                                              tenant: Tenant) -> None:
    assert login(manager).get("/settings/").status_code == 200
    assert login(manager).post("/settings/", {"name": "Hijacked"}).status_code == 403
    assert login(agent).get("/settings/").status_code == 403
    tenant.refresh_from_db()
    assert tenant.name != "Hijacked"


def test_password_resets_to_one_address_are_capped(agent: Membership, clock) -> None:
    for _ in range(8):
        asked = Client().post("/password-reset/", {"email": agent.user.email})
        assert asked.status_code == 302  # the same answer every time
    assert OutboundMail.objects.filter(recipient=agent.user.email).count() == 5
    clock.advance(hours=1, seconds=1)
    Client().post("/password-reset/", {"email": agent.user.email})
    assert OutboundMail.objects.filter(recipient=agent.user.email).count() == 6
