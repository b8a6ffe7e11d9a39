"""A customer's cases in the portal: who sees which case, what of it, replying with files,
confirming a solved case or saying it is not fixed."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_add_note, case_transition
from casedesk.crm.models import Account, Contact
from casedesk.mail.models import Attachment
from casedesk.portal.models import PortalSettings
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock
from tests.factories import AccountFactory, ContactFactory, make_case
from tests.portal.helpers import signed_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def account(tenant: Tenant) -> Account:
    return AccountFactory(tenant=tenant, name="Customer Ltd")


@pytest.fixture
def ada(tenant: Tenant, account: Account) -> Contact:
    return ContactFactory(tenant=tenant, name="Ada", email="ada@customer.example",
                          account=account)


@pytest.fixture
def bob(tenant: Tenant, account: Account) -> Contact:
    return ContactFactory(tenant=tenant, name="Bob", email="bob@customer.example",
                          account=account)


def _case(tenant: Tenant, contact: Contact, subject: str = "Printer on fire",
          **fields: Any) -> Case:
    return make_case(tenant, subject=subject, description="It smokes.", contact_id=contact.pk,
                     account_id=contact.account_id, now=NOW, **fields)


def _move(case: Case, *statuses: Status, actor: Any = None) -> Case:
    for status in statuses:
        case = case_transition(case=case, actor=actor, to=status, now=NOW,
                               note="Done." if status == Status.RESOLVED else "")
    return case


def _url(case: Case, tail: str = "") -> str:
    return f"/portal/{case.tenant.slug}/cases/{case.number}{tail}"


def test_my_cases_lists_own_cases_newest_first_with_customer_status(
        tenant: Tenant, ada: Contact, bob: Contact, clock: Clock) -> None:
    first = _case(tenant, ada, "First")
    second = _move(_case(tenant, ada, "Second"), Status.OPEN, Status.IN_PROGRESS,
                   Status.PENDING_CUSTOMER)
    _case(tenant, bob, "Bob's own")
    page = signed_in(tenant, ada).get("/portal/acme/").content.decode()
    assert page.count('data-testid="case-row"') == 2
    assert page.index("Second") < page.index("First")
    assert "Waiting for your reply" in page and "We&#x27;re working on it" in page
    assert "Bob&#x27;s own" not in page
    assert first.display_number in page and second.display_number in page


def test_my_cases_is_paginated(tenant: Tenant, ada: Contact, clock: Clock) -> None:
    for n in range(23):
        _case(tenant, ada, f"Case {n}")
    client = signed_in(tenant, ada)
    assert client.get("/portal/acme/").content.decode().count('data-testid="case-row"') == 20
    assert client.get("/portal/acme/?page=2").content.decode().count(
        'data-testid="case-row"') == 3


def test_another_customers_case_is_404(tenant: Tenant, ada: Contact, bob: Contact,
                                        clock: Clock) -> None:
    bobs = _case(tenant, bob)
    client = signed_in(tenant, ada)
    assert client.get(_url(bobs)).status_code == 404
    assert client.post(_url(bobs, "/reply"), {"body": "hi"}).status_code == 404
    assert client.get("/portal/acme/cases/999999").status_code == 404
    assert client.get(f"/portal/acme/cases/{2**70}").status_code == 404
    assert not Note.objects.filter(case=bobs).exists()


def test_account_admin_sees_the_accounts_cases(tenant: Tenant, ada: Contact, bob: Contact,
                                               clock: Clock) -> None:
    bobs = _case(tenant, bob, "Bob's printer")
    Contact.objects.filter(pk=ada.pk).update(is_portal_admin=True)
    client = signed_in(tenant, ada)
    assert "Bob&#x27;s printer" in client.get("/portal/acme/").content.decode()
    assert client.get(_url(bobs)).status_code == 200
    stranger = ContactFactory(tenant=tenant, email="carl@elsewhere.example")
    assert client.get(_url(_case(tenant, stranger))).status_code == 404


def test_another_tenants_case_is_404(tenant: Tenant, other_tenant: Tenant, ada: Contact,
                                      clock: Clock) -> None:
    twin = ContactFactory(tenant=other_tenant, email=ada.email)
    theirs = _case(other_tenant, twin)
    client = signed_in(tenant, ada)
    assert client.get(f"/portal/acme/cases/{theirs.number}").status_code == 404
    # acme's cookie is nobody in globex's portal: off to its sign-in form.
    client.cookies["casedesk_portal"]["path"] = "/"
    response = client.get(f"/portal/globex/cases/{theirs.number}")
    assert response.status_code == 302 and response["Location"] == "/portal/globex/"


def test_case_page_shows_only_the_public_conversation(
        tenant: Tenant, ada: Contact, agent: Membership, clock: Clock) -> None:
    case = _case(tenant, ada)
    case_add_note(case=case, actor=agent.user, body="Internal: customer is grumpy",
                  is_public=False, now=NOW)
    case_add_note(case=case, actor=agent.user, body="Please restart it.", is_public=True,
                  now=NOW)
    page = signed_in(tenant, ada).get(_url(case)).content.decode()
    assert "Please restart it." in page and "It smokes." in page
    assert "grumpy" not in page
    assert agent.user.email not in page
    assert "Support queue" not in page and "priority" not in page.lower()


def test_reply_adds_a_public_customer_note_and_moves_a_pending_case(
        tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _move(_case(tenant, ada), Status.OPEN, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)
    client = signed_in(tenant, ada)
    response = client.post(_url(case, "/reply"),
                           {"body": "<script>alert(1)</script> still broken"})
    assert response.status_code == 302
    note = Note.objects.get(case=case, author=None)
    assert note.is_public and note.author_email == ada.email
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    page = client.get(_url(case)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; still broken" in page
    assert "<script>alert(1)" not in page


def test_reply_with_files_keeps_them_and_serves_them_as_downloads(
        tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _case(tenant, ada)
    client = signed_in(tenant, ada)
    files = [SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
             SimpleUploadedFile("log.txt", b"line one\n", content_type="text/plain")]
    assert client.post(_url(case, "/reply"), {"body": "See files", "attachments": files}
                       ).status_code == 302
    rows = list(Attachment.objects.filter(case=case).order_by("id"))
    assert [(a.filename, a.content_type) for a in rows] == [
        ("shot.png", "image/png"), ("log.txt", "text/plain")]
    download = client.get(_url(case, f"/files/{rows[1].pk}"))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"line one\n"  # type: ignore[attr-defined]
    other = ContactFactory(tenant=tenant, email="carl@elsewhere.example")
    assert signed_in(tenant, other).get(_url(case, f"/files/{rows[1].pk}")).status_code == 404


def test_reply_refuses_a_file_of_a_type_not_allowed_by_its_bytes(
        tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _case(tenant, ada)
    fake = SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = signed_in(tenant, ada).post(_url(case, "/reply"),
                                           {"body": "x", "attachments": [fake]})
    assert response.status_code == 422 and b"cannot be sent here" in response.content
    assert not Attachment.objects.exists()
    assert not Note.objects.filter(case=case, author=None).exists()


def test_reply_refuses_too_many_or_too_large_files(tenant: Tenant, ada: Contact,
                                                   clock: Clock) -> None:
    PortalSettings.objects.create(tenant=tenant, max_files=1, max_file_bytes=50)
    case = _case(tenant, ada)
    client = signed_in(tenant, ada)
    two = [SimpleUploadedFile(f"{n}.txt", b"x", content_type="text/plain") for n in (1, 2)]
    assert b"At most 1 file" in client.post(_url(case, "/reply"),
                                            {"body": "x", "attachments": two}).content
    big = SimpleUploadedFile("big.txt", b"x" * 51, content_type="text/plain")
    response = client.post(_url(case, "/reply"), {"body": "x", "attachments": [big]})
    assert response.status_code == 422 and b"larger than 50 bytes" in response.content
    assert not Attachment.objects.exists()


def test_reply_needs_text(tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _case(tenant, ada)
    assert signed_in(tenant, ada).post(_url(case, "/reply"), {"body": "  "}).status_code == 422


def test_reply_needs_csrf(tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _case(tenant, ada)
    client = Client(enforce_csrf_checks=True)
    client.cookies["casedesk_portal"] = signed_in(tenant, ada).cookies["casedesk_portal"].value
    assert client.get(_url(case)).status_code == 200
    assert client.post(_url(case, "/reply"), {"body": "hi"}).status_code == 403


def test_confirming_a_solved_case_closes_it(tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _move(_case(tenant, ada), Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED)
    client = signed_in(tenant, ada)
    assert "Solved — please confirm" in client.get(_url(case)).content.decode()
    assert client.post(_url(case, "/confirm")).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_reason == "Resolved"
    assert Note.objects.filter(case=case, is_public=False,
                               body__contains="confirmed in the portal").exists()
    assert client.post(_url(case, "/confirm")).status_code == 409


def test_not_fixed_reopens_a_solved_case(tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _move(_case(tenant, ada), Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED)
    response = signed_in(tenant, ada).post(_url(case, "/not-fixed"), {"body": "Still smokes"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert Note.objects.filter(case=case, author=None, body__contains="Still smokes").exists()


def test_reply_to_a_case_closed_past_its_window_offers_a_new_case(
        tenant: Tenant, ada: Contact, clock: Clock) -> None:
    case = _move(_case(tenant, ada), Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED)
    case = case_transition(case=case, actor=None, to=Status.CLOSED, now=NOW, note="Done.",
                           closed_reason="Resolved")
    clock.advance(days=30)
    client = signed_in(tenant, ada)
    response = client.post(_url(case, "/not-fixed"), {"body": "Back again"})
    assert response.status_code == 409
    assert b"follow-up case" in response.content and b"Start a new case" in response.content
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_a_case_page_needs_a_signed_in_customer(tenant: Tenant, ada: Contact) -> None:
    case = _case(tenant, ada)
    response = Client().get(_url(case))
    assert response.status_code == 302 and response["Location"] == "/portal/acme/"




def test_the_agents_case_page_says_the_customer_uses_the_portal(tenant, admin) -> None:
    from tests.conftest import login

    contact = ContactFactory(tenant=tenant, last_portal_visit_at=NOW - timedelta(hours=3))
    case = make_case(tenant, contact_id=contact.pk)
    page = login(admin).get(f"/cases/{case.display_number}").content.decode()
    assert 'data-testid="portal-visit"' in page and "Uses the portal" in page
    other = make_case(tenant, contact_id=ContactFactory(tenant=tenant).pk)
    other_page = login(admin).get(f"/cases/{other.display_number}").content.decode()
    assert "Uses the portal" not in other_page


def test_an_admin_makes_a_contact_the_accounts_portal_admin(tenant, admin, admin_api) -> None:
    from tests.conftest import login

    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account, email="lead@customer.example")
    response = login(admin).post(f"/contacts/{contact.pk}/edit", {
        "name": "Lead", "email": contact.email, "phone": "", "account": account.pk,
        "is_portal_admin": "on"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.is_portal_admin
    body = admin_api.patch(f"/contacts/{contact.pk}", {"is_portal_admin": False}).json()
    assert body["is_portal_admin"] is False and body["last_portal_visit_at"] is None
    assert admin_api.patch(f"/contacts/{contact.pk}", {"is_portal_admin": None}).status_code == 422
