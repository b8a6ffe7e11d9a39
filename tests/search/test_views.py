"""The search pages: the console's `/search` (the header's box) and the portal's."""

import pytest

from casedesk.cases.services import case_add_note
from casedesk.crm.models import Contact
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, login
from tests.factories import ContactFactory, make_case
from tests.portal.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(tenant: Tenant) -> Contact:
    return ContactFactory(tenant=tenant, email="kim@customer.example")


def test_header_box_searches_notes_with_facets(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, subject="Laptop")
    case_add_note(case=case, actor=agent.user, body="The <i>iguana</i> driver.",
                  is_public=False, now=NOW)
    client = login(agent)
    inbox = client.get("/inbox/cases")
    assert b'action="/search"' in inbox.content
    page = client.get("/search", {"q": "iguana"})
    assert page.status_code == 200
    html = page.content.decode()
    assert case.display_number in html
    assert "<mark>iguana</mark>" in html and "<i>iguana" not in html
    assert 'data-testid="search-facets"' in html and "status%3Anew" in html


def test_a_case_number_opens_the_case(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, subject="Anything")
    client = login(agent)
    for q in (case.display_number, f"#{case.number}", str(case.number)):
        response = client.get("/search", {"q": q})
        assert response.status_code == 302
        assert response["Location"] == f"/cases/{case.display_number}"


def test_bad_operator_is_a_form_error(agent: Membership) -> None:
    response = login(agent).get("/search", {"q": "status:maybe"})
    assert response.status_code == 422
    assert b'data-testid="search-errors"' in response.content
    assert b"is not a status" in response.content


def test_hostile_text_on_the_page(agent: Membership) -> None:
    client = login(agent)
    assert client.get("/search", {"q": "&|!():*'\"\\"}).status_code == 200
    assert client.get("/search", {"q": "a\x00b"}).status_code == 422
    assert client.get("/search", {"q": "x" * 600}).status_code == 422
    assert client.get("/search", {"q": "x", "page": "99"}).status_code == 422


def test_needs_sign_in(db: None) -> None:
    from django.test import Client

    assert Client().get("/search", {"q": "x"}).status_code == 302


def test_portal_search_shows_only_the_public_conversation(tenant: Tenant, agent: Membership,
                                                          contact: Contact) -> None:
    case = make_case(tenant, subject="Modem blinking", contact_id=contact.pk)
    case_add_note(case=case, actor=agent.user, body="Internal: wombat firmware.",
                  is_public=False, now=NOW)
    case_add_note(case=case, actor=agent.user, body="Please try the lynx reset.",
                  is_public=True, now=NOW)
    stranger = make_case(tenant, subject="Modem blinking elsewhere")
    client = signed_in(tenant, contact)
    home = client.get(f"/portal/{tenant.slug}/")
    assert f"/portal/{tenant.slug}/search".encode() in home.content
    page = client.get(f"/portal/{tenant.slug}/search", {"q": "wombat"})
    assert page.status_code == 200
    assert b"wombat" not in page.content.replace(b'value="wombat"', b"")
    assert case.display_number.encode() not in page.content
    found = client.get(f"/portal/{tenant.slug}/search", {"q": "modem"}).content.decode()
    assert case.display_number in found and stranger.display_number not in found
    assert "<mark>lynx</mark>" in client.get(f"/portal/{tenant.slug}/search",
                                             {"q": "lynx"}).content.decode()
    jump = client.get(f"/portal/{tenant.slug}/search", {"q": f"#{case.number}"})
    assert jump.status_code == 302
    assert jump["Location"] == f"/portal/{tenant.slug}/cases/{case.number}"
    refused = client.get(f"/portal/{tenant.slug}/search", {"q": "owner:me"})
    assert refused.status_code == 422


def test_portal_search_needs_a_customer(tenant: Tenant) -> None:
    from django.test import Client

    response = Client().get(f"/portal/{tenant.slug}/search", {"q": "x"})
    assert response.status_code == 302
