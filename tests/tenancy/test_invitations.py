"""Invitations, end to end through the API and the pages: an admin invites, the mail with its
link is in the outbox, the invitee accepts once (a new person chooses a password; someone with
an account joins with it), signs in and works a case. A used, withdrawn, superseded or
expired link is refused; another tenant's invitation is a 404."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Invitation, Membership, Role, Tenant, User
from tests.conftest import Api, login
from tests.factories import make_case
from tests.tenancy.pages import has_error

PASSWORD = "a long enough secret 42"
LINK = re.compile(r"https?://[^/\s]+(/invitations/\S+)")


def link_in_mail(address: str) -> str:
    """The path of the invitation link in the latest mail to `address`."""
    mail = OutboundMail.objects.filter(recipient=address).latest("pk")
    assert mail.kind == OutboundKind.ACCOUNT
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


@pytest.fixture
def invited(admin_api: Api, seeded_support_queue: Queue, manager: Membership, clock) -> dict:
    response = admin_api.post("/invitations", {
        "email": "New.Agent@Example.com", "role": "agent", "manager_id": manager.user_id,
        "skills": ["billing", "de"], "territory": "DACH", "capacity": 12,
        "queue_ids": [seeded_support_queue.pk]})
    assert response.status_code == 201, response.content
    return response.json()


def test_an_invitation_is_mailed_with_a_single_use_link(invited, tenant: Tenant) -> None:
    assert invited["email"] == "new.agent@example.com"
    assert (invited["role"], invited["skills"], invited["capacity"]) == ("agent",
                                                                         ["billing", "de"], 12)
    assert invited["expired"] is False
    assert invited["expires_at"].startswith("2026-11-30T09:00")  # 7 days after NOW
    mail = OutboundMail.objects.get(recipient="new.agent@example.com")
    assert mail.tenant_id == tenant.pk and mail.status == "pending"
    assert mail.subject == f"You are invited to {tenant.name}"
    assert link_in_mail("new.agent@example.com").startswith("/invitations/")


def test_accepting_makes_a_member_who_signs_in_and_works_a_case(
        invited, tenant: Tenant, seeded_support_queue: Queue, manager: Membership) -> None:
    path = link_in_mail("new.agent@example.com")
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200 and 'data-testid="accept-form"' in page.content.decode()

    joined = browser.post(path, {"full_name": "Nia Agent", "password": PASSWORD,
                                 "password_again": PASSWORD})

    assert joined.status_code == 302 and joined["Location"] == "/inbox/cases"
    member = Membership.objects.get(tenant=tenant, user__email="new.agent@example.com")
    assert (member.role, member.manager_id, member.skills, member.territory,
            member.capacity) == (Role.AGENT, manager.pk, ["billing", "de"], "DACH", 12)
    assert member.user.full_name == "Nia Agent" and member.user.check_password(PASSWORD)
    assert list(member.queues.all()) == [seeded_support_queue]
    invitation = Invitation.objects.get(pk=invited["id"])
    assert invitation.accepted_by == member.user and invitation.accepted_at is not None
    # Signed in already, and working: they claim a case waiting in their queue.
    case = make_case(tenant, subject="Waiting", queue_id=seeded_support_queue.pk)
    claimed = browser.post(f"/cases/{case.display_number}/claim")
    assert claimed.status_code == 302
    case.refresh_from_db()
    assert case.owner_id == member.user_id
    # And they sign in again another day with the password they chose.
    fresh = Client()
    assert fresh.post("/login/", {"username": "new.agent@example.com",
                                  "password": PASSWORD}).status_code == 302
    # The link was good once.
    again = Client().get(path)
    assert again.status_code == 410 and "used already" in again.content.decode()


def test_a_weak_password_is_refused_and_nothing_is_made(invited) -> None:
    path = link_in_mail("new.agent@example.com")
    response = Client().post(path, {"full_name": "Nia", "password": "123",
                                    "password_again": "123"})
    assert response.status_code == 422
    assert has_error(response, "password")
    assert not User.objects.filter(email="new.agent@example.com").exists()
    assert Invitation.objects.get(pk=invited["id"]).accepted_at is None


def test_mismatched_passwords_are_refused(invited) -> None:
    path = link_in_mail("new.agent@example.com")
    response = Client().post(path, {"full_name": "Nia", "password": PASSWORD,
                                    "password_again": PASSWORD + "x"})
    assert response.status_code == 422 and "differ" in response.content.decode()
    assert not User.objects.filter(email="new.agent@example.com").exists()


def test_an_expired_link_is_refused(invited, clock) -> None:
    path = link_in_mail("new.agent@example.com")
    clock.advance(days=7, seconds=1)
    response = Client().get(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    posted = Client().post(path, {"full_name": "Nia", "password": PASSWORD,
                                  "password_again": PASSWORD})
    assert posted.status_code == 410
    assert not Membership.objects.filter(user__email="new.agent@example.com").exists()


def test_a_withdrawn_invitation_is_refused(invited, admin_api: Api) -> None:
    path = link_in_mail("new.agent@example.com")
    assert admin_api.delete(f"/invitations/{invited['id']}").status_code == 200
    response = Client().get(path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert admin_api.get("/invitations").json() == []
    assert admin_api.delete(f"/invitations/{invited['id']}").status_code == 409


def test_resending_gives_a_new_link_and_retires_the_old_one(invited, admin_api: Api,
                                                            clock) -> None:
    old = link_in_mail("new.agent@example.com")
    clock.advance(days=6)
    resent = admin_api.post(f"/invitations/{invited['id']}/resend")
    assert resent.status_code == 200
    assert resent.json()["expires_at"].startswith("2026-12-06T09:00")
    new = link_in_mail("new.agent@example.com")
    assert new != old
    assert Client().get(old).status_code == 410
    clock.advance(days=3)  # past the first link's 7 days, inside the new one's
    assert Client().get(new).status_code == 200


def test_a_forged_or_altered_link_is_refused(invited) -> None:
    path = link_in_mail("new.agent@example.com")
    for bad in (path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
                "/invitations/1.abc:forged", "/invitations/" + "x" * 300):
        assert Client().get(bad).status_code == 410


def test_someone_with_an_account_joins_with_it(admin_api: Api, tenant: Tenant,
                                               outsider: Membership, clock) -> None:
    email = outsider.user.email
    outsider.user.set_password(PASSWORD)
    outsider.user.save()
    assert admin_api.post("/invitations", {"email": email, "role": "manager"}).status_code == 201
    path = link_in_mail(email)
    anonymous = Client().get(path)
    assert anonymous.status_code == 200
    assert "has a casedesk account already" in anonymous.content.decode()
    assert Client().post(path).status_code == 422  # not signed in: nothing happens
    assert not Membership.objects.filter(tenant=tenant, user=outsider.user).exists()

    browser = login(outsider)
    page = browser.get(path)
    assert 'data-testid="join"' in page.content.decode()
    joined = browser.post(path)
    assert joined.status_code == 302
    member = Membership.objects.get(tenant=tenant, user=outsider.user)
    assert member.role == Role.MANAGER and member.is_active
    assert browser.session["casedesk_tenant_id"] == tenant.pk


def test_signed_in_as_someone_else_is_told_to_sign_out(invited, agent: Membership) -> None:
    path = link_in_mail("new.agent@example.com")
    browser = login(agent)
    page = browser.get(path)
    assert "Sign out" in page.content.decode()
    assert browser.post(path, {"full_name": "x", "password": PASSWORD,
                               "password_again": PASSWORD}).status_code == 422
    assert not User.objects.filter(email="new.agent@example.com").exists()
    signed_out = browser.post("/logout/", {"next": path})
    assert signed_out.status_code == 302 and signed_out["Location"] == path
    assert Client().get(path).status_code == 200


def test_members_and_open_invitations_cannot_be_invited_twice(invited, admin_api: Api,
                                                              agent: Membership) -> None:
    again = admin_api.post("/invitations", {"email": "new.agent@example.com"})
    assert again.status_code == 409 and "open invitation" in again.json()["detail"]
    member = admin_api.post("/invitations", {"email": agent.user.email})
    assert member.status_code == 409 and "a member" in member.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"email": "not an address"}, "email"),
    ({"email": "x@example.com", "role": "owner"}, "role"),
    ({"email": "x@example.com", "manager_id": 999999}, "manager_id"),
    ({"email": "x@example.com", "queue_ids": [999999]}, "queue_ids"),
    ({"email": "x@example.com", "territory": "t" * 101}, "territory"),
    ({"email": "x@example.com", "capacity": -1}, "capacity"),
])
def test_bad_invitations_are_422(admin_api: Api, body: dict, field: str) -> None:
    response = admin_api.post("/invitations", body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not Invitation.objects.exists() and not OutboundMail.objects.exists()


def test_another_tenants_queue_cannot_be_named(admin_api: Api, foreign) -> None:
    response = admin_api.post("/invitations", {"email": "x@example.com",
                                               "queue_ids": [foreign.queue_id]})
    assert response.status_code == 422 and response.json()["field"] == "queue_ids"


def test_only_admins_invite(agent_api: Api, manager_api: Api) -> None:
    for api in (agent_api, manager_api):
        assert api.post("/invitations", {"email": "x@example.com"}).status_code == 403
        assert api.get("/invitations").status_code == 403


def test_another_tenants_invitation_is_a_404(invited, outsider_api: Api,
                                             outsider: Membership) -> None:
    outsider.role = Role.ADMIN
    outsider.save()
    assert outsider_api.post(f"/invitations/{invited['id']}/resend").status_code == 404
    assert outsider_api.delete(f"/invitations/{invited['id']}").status_code == 404
    assert outsider_api.get("/invitations").json() == []
    page = login(outsider).post(f"/settings/people/invitations/{invited['id']}/revoke")
    assert page.status_code == 404
    assert Invitation.objects.get(pk=invited["id"]).revoked_at is None


def test_the_outbox_never_shows_the_link(invited, admin_api: Api, admin: Membership) -> None:
    mail = OutboundMail.objects.get(recipient="new.agent@example.com")
    detail = admin_api.get(f"/mail/outbound/{mail.pk}").json()
    assert "/invitations/" not in detail["body"] and "Not shown" in detail["body"]
    page = login(admin).get(f"/mail/outbound/{mail.pk}").content.decode()
    assert "/invitations/" not in page


def test_invite_resend_and_withdraw_from_the_people_page(admin: Membership,
                                                         seeded_support_queue: Queue,
                                                         clock) -> None:
    browser = login(admin)
    page = browser.get("/settings/people")
    assert page.status_code == 200 and 'data-testid="invite-form"' in page.content.decode()
    sent = browser.post("/settings/people/invite", {
        "email": "pat@example.com", "role": "agent", "manager": "", "skills": "billing, de",
        "territory": "", "capacity": "5", "queues": [str(seeded_support_queue.pk)]},
        follow=True)
    assert "Invitation mailed to pat@example.com" in sent.content.decode()
    invitation = Invitation.objects.get(email="pat@example.com")
    assert (invitation.skills, invitation.capacity, invitation.queue_ids) == (
        ["billing", "de"], 5, [seeded_support_queue.pk])
    assert 'data-email="pat@example.com"' in sent.content.decode()

    duplicate = browser.post("/settings/people/invite", {
        "email": "pat@example.com", "role": "agent", "capacity": "5"})
    assert duplicate.status_code == 422 and "open invitation" in duplicate.content.decode()

    first = link_in_mail("pat@example.com")
    browser.post(f"/settings/people/invitations/{invitation.pk}/resend")
    assert OutboundMail.objects.filter(recipient="pat@example.com").count() == 2
    assert Client().get(first).status_code == 410
    browser.post(f"/settings/people/invitations/{invitation.pk}/revoke")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert Client().get(link_in_mail("pat@example.com")).status_code == 410


def test_the_invite_form_shows_errors_on_their_fields(admin: Membership) -> None:
    response = login(admin).post("/settings/people/invite", {
        "email": "nope", "role": "agent", "capacity": "5"})
    assert response.status_code == 422
    assert has_error(response, "email")
    assert not Invitation.objects.exists()


def test_agents_cannot_see_or_use_the_people_pages(agent: Membership) -> None:
    browser = login(agent)
    assert browser.get("/settings/people").status_code == 403
    assert browser.post("/settings/people/invite", {"email": "x@example.com",
                                                    "role": "admin"}).status_code == 403
    assert not Invitation.objects.exists()


def test_an_account_made_without_a_password_chooses_one_on_accepting(
        admin_api: Api, tenant: Tenant, clock) -> None:
    User.objects.create_user("scripted@example.com", None)
    admin_api.post("/invitations", {"email": "scripted@example.com"})
    path = link_in_mail("scripted@example.com")
    joined = Client().post(path, {"full_name": "Sam Script", "password": PASSWORD,
                                  "password_again": PASSWORD})
    assert joined.status_code == 302
    user = User.objects.get(email="scripted@example.com")
    assert user.check_password(PASSWORD) and user.full_name == "Sam Script"
    assert Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists()


def test_the_link_uses_the_configured_base_url(admin_api: Api, settings) -> None:
    settings.BASE_URL = "https://help.example.org"
    admin_api.post("/invitations", {"email": "far@example.com"})
    body = OutboundMail.objects.get(recipient="far@example.com").body
    assert "https://help.example.org/invitations/" in body


def test_an_invitation_sent_long_ago_shows_as_expired(invited, admin_api: Api, clock) -> None:
    clock.advance(days=8)
    listed = admin_api.get("/invitations").json()
    assert [i["expired"] for i in listed] == [True]
    assert Invitation.objects.get(pk=invited["id"]).expires_at < clock.now - timedelta(days=0)


def test_resending_without_end_is_refused(invited, admin_api: Api) -> None:
    for _ in range(4):
        assert admin_api.post(f"/invitations/{invited['id']}/resend").status_code == 200
    refused = admin_api.post(f"/invitations/{invited['id']}/resend")
    assert refused.status_code == 409 and "within the hour" in refused.json()["detail"]
    assert OutboundMail.objects.filter(recipient="new.agent@example.com").count() == 5
