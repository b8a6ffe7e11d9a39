"""Signing in to the portal by a mailed link: the same answer for any address, the token kept
only as a digest, single use, 15 minutes, the cookie's flags; no console or API reach."""

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from casedesk.crm.models import Contact
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.portal.models import PortalSession, SignInLink
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, Clock
from tests.factories import ContactFactory
from tests.portal.helpers import link_token, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(tenant: Tenant) -> Contact:
    return ContactFactory(tenant=tenant, name="Ada Lovelace", email="ada@customer.example")


def _account_mails() -> Any:
    return OutboundMail.objects.filter(kind=OutboundKind.ACCOUNT)


def test_home_shows_the_sign_in_form(tenant: Tenant) -> None:
    page = Client().get("/portal/acme/").content.decode()
    assert 'data-testid="sign-in-form"' in page
    assert "Acme Support" in page


def test_unknown_tenant_is_404(db: Any) -> None:
    assert Client().get("/portal/nobody/").status_code == 404


def test_known_and_unknown_addresses_get_the_same_answer(
        tenant: Tenant, contact: Contact, clock: Clock) -> None:
    known = Client().post("/portal/acme/sign-in", {"email": "ada@customer.example"})
    unknown = Client().post("/portal/acme/sign-in", {"email": "eve@stranger.example"})
    assert known.status_code == unknown.status_code == 200
    # The pages differ only in the address echoed, the CSP nonce and the CSRF token.
    varying = re.compile(rb'[a-z]+@[a-z.]+|nonce="[^"]*"|value="[A-Za-z0-9]{64}"')
    assert varying.sub(b"", known.content) == varying.sub(b"", unknown.content)
    assert [m.recipient for m in _account_mails()] == ["ada@customer.example"]


def test_the_token_is_stored_only_as_its_digest(tenant: Tenant, contact: Contact,
                                                 clock: Clock) -> None:
    Client().post("/portal/acme/sign-in", {"email": "ADA@customer.example"})
    token = link_token(contact)
    link = SignInLink.objects.get()
    assert link.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(SignInLink.objects.values().get())
    assert link.expires_at == NOW + timedelta(minutes=15)


def test_opening_the_link_does_not_use_it_posting_signs_in(
        tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = Client()
    client.post("/portal/acme/sign-in", {"email": contact.email})
    token = link_token(contact)
    page = client.get(f"/portal/acme/sign-in/{token}")
    assert page.status_code == 200 and b'data-testid="sign-in"' in page.content
    assert not PortalSession.objects.exists()
    response = client.post(f"/portal/acme/sign-in/{token}")
    assert response.status_code == 302 and response["Location"] == "/portal/acme/"
    cookie = response.cookies["casedesk_portal"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/portal/acme/"
    assert not cookie["secure"]  # plain http in tests; https sets it
    session = PortalSession.objects.get()
    assert session.digest == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert session.contact == contact
    contact.refresh_from_db()
    assert contact.last_portal_visit_at == NOW
    assert b'data-testid="no-cases"' in client.get("/portal/acme/").content


def test_cookie_is_secure_over_https(tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = Client()
    client.post("/portal/acme/sign-in", {"email": contact.email}, secure=True)
    response = client.post(f"/portal/acme/sign-in/{link_token(contact)}", secure=True)
    assert response.cookies["casedesk_portal"]["secure"]


def test_a_link_works_once(tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = Client()
    client.post("/portal/acme/sign-in", {"email": contact.email})
    token = link_token(contact)
    assert client.post(f"/portal/acme/sign-in/{token}").status_code == 302
    again = Client().post(f"/portal/acme/sign-in/{token}")
    assert again.status_code == 410 and b'data-testid="link-refused"' in again.content
    assert Client().get(f"/portal/acme/sign-in/{token}").status_code == 410
    assert PortalSession.objects.count() == 1


def test_a_link_expires_after_15_minutes(tenant: Tenant, contact: Contact,
                                          clock: Clock) -> None:
    Client().post("/portal/acme/sign-in", {"email": contact.email})
    token = link_token(contact)
    clock.advance(minutes=15, seconds=1)
    assert Client().post(f"/portal/acme/sign-in/{token}").status_code == 410
    assert not PortalSession.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%ED%A0%80"])
def test_a_wrong_token_is_refused(tenant: Tenant, token: str) -> None:
    assert Client().post(f"/portal/acme/sign-in/{token}").status_code == 410


def test_a_link_of_one_tenant_does_not_open_another(
        tenant: Tenant, other_tenant: Tenant, contact: Contact, clock: Clock) -> None:
    Client().post("/portal/acme/sign-in", {"email": contact.email})
    assert Client().post(f"/portal/globex/sign-in/{link_token(contact)}").status_code == 410


def test_account_mails_are_capped_per_hour(tenant: Tenant, contact: Contact,
                                           clock: Clock) -> None:
    for _ in range(7):
        answer = Client().post("/portal/acme/sign-in", {"email": contact.email})
        assert answer.status_code == 200
    assert _account_mails().count() == 5
    assert SignInLink.objects.count() == 5


def test_a_malformed_address_is_a_form_error(tenant: Tenant) -> None:
    response = Client().post("/portal/acme/sign-in", {"email": "not an address"})
    assert response.status_code == 422 and b'class="error"' in response.content


def test_sign_out_deletes_the_session(tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = signed_in(tenant, contact)
    assert client.post("/portal/acme/sign-out").status_code == 302
    assert not PortalSession.objects.exists()
    assert b'data-testid="sign-in-form"' in client.get("/portal/acme/").content


def test_a_session_of_one_tenant_is_nobody_in_another(
        tenant: Tenant, other_tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = signed_in(tenant, contact)
    key = client.cookies["casedesk_portal"].value
    stranger = Client()
    stranger.cookies["casedesk_portal"] = key
    assert b'data-testid="sign-in-form"' in stranger.get("/portal/globex/").content


def test_an_expired_session_signs_nobody_in(tenant: Tenant, contact: Contact,
                                            clock: Clock) -> None:
    client = signed_in(tenant, contact)
    clock.advance(days=31)
    assert b'data-testid="sign-in-form"' in client.get("/portal/acme/").content


def test_a_visit_is_recorded(tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = signed_in(tenant, contact)
    later = clock.advance(hours=2)
    client.get("/portal/acme/")
    contact.refresh_from_db()
    assert contact.last_portal_visit_at == later


def test_the_portal_cookie_reaches_no_console_page_or_api(
        tenant: Tenant, contact: Contact, clock: Clock) -> None:
    client = signed_in(tenant, contact)
    key = client.cookies["casedesk_portal"].value
    browser = Client()
    browser.cookies["casedesk_portal"] = key
    # The cookie is sent everywhere here (a browser scopes it to /portal/acme/).
    for name in list(browser.cookies):
        browser.cookies[name]["path"] = "/"
    inbox = browser.get("/inbox/cases")
    assert inbox.status_code == 302 and inbox["Location"].startswith("/login/")
    assert browser.get("/api/v1/cases").status_code == 401
    assert "_auth_user_id" not in client.session


def test_the_sign_in_mail_comes_from_the_portals_sender_name(tenant) -> None:
    from casedesk.mail.models import OutboundKind, OutboundMail
    from casedesk.portal.models import PortalSettings
    from casedesk.portal.signin import signin_request
    from tests.conftest import NOW
    from tests.factories import ContactFactory

    PortalSettings.objects.create(tenant=tenant, sender_name="Acme Help Desk")
    contact = ContactFactory(tenant=tenant, email="sam@customer.example")
    assert signin_request(tenant=tenant, email=contact.email, base_url="http://testserver",
                          now=NOW)
    mail = OutboundMail.objects.get(kind=OutboundKind.ACCOUNT, recipient=contact.email)
    assert mail.from_address.startswith("Acme Help Desk <")


def test_one_network_may_ask_for_only_so_many_links(tenant, clock) -> None:
    from django.test import Client

    from casedesk.portal.models import SignInRequest
    from casedesk.portal.signin import REQUEST_WINDOW, REQUESTS_PER_CLIENT
    from tests.factories import ContactFactory

    ContactFactory(tenant=tenant, email="known@customer.example")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(REQUESTS_PER_CLIENT):
        email = "known@customer.example" if i == 0 else f"stranger{i}@example.com"
        assert client.post(f"/portal/{tenant.slug}/sign-in", {"email": email}).status_code == 200
    refused = client.post(f"/portal/{tenant.slug}/sign-in", {"email": "known@customer.example"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many sign-in links" in refused.content.decode()
    assert SignInRequest.objects.count() == REQUESTS_PER_CLIENT
    # Another network is not held back, and this one may ask again once the window passed.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(f"/portal/{tenant.slug}/sign-in",
                      {"email": "known@customer.example"}).status_code == 200
    clock.advance(seconds=REQUEST_WINDOW.total_seconds() + 1)
    assert client.post(f"/portal/{tenant.slug}/sign-in",
                       {"email": "known@customer.example"}).status_code == 200
