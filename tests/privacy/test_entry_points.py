"""The ways in to an erasure and to the retention period: the API (admins; 403 for others,
404 for another tenant's contact), the pages (the contact page's button, the confirmation
page, /settings/privacy), and `casedesk erase_contact`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from casedesk.crm.models import Contact
from casedesk.privacy.models import Erasure
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.api_checks import conforms, error
from tests.conftest import login
from tests.factories import ContactFactory

EMAIL = "rita.remove@erase.example"


@pytest.fixture
def rita(tenant: Tenant) -> Contact:
    return ContactFactory(tenant=tenant, email=EMAIL, name="Rita Remove", phone="+1 555 0100 77")


def _erased(contact: Contact) -> bool:
    contact.refresh_from_db()
    return contact.email.endswith("@erased.invalid") and "Rita" not in contact.name


# The API.

def test_an_admin_erases_a_contact_through_the_api(admin_api, rita, clock) -> None:
    response = admin_api.post(f"/contacts/{rita.pk}/erase")
    assert response.status_code == 200
    body = conforms(response, "post", "/contacts/{contact_id}/erase")
    assert body["contact_id"] == rita.pk and body["already_erased"] is False
    assert body["via"] == "api" and body["reason"] == "request" and body["counts"]["contact"] == 1
    assert _erased(rita)
    again = admin_api.post(f"/contacts/{rita.pk}/erase")
    assert again.status_code == 200 and again.json()["already_erased"] is True
    assert again.json()["id"] == body["id"] and Erasure.objects.count() == 1


@pytest.mark.parametrize("who", ["agent_api", "manager_api"])
def test_only_admins_may_erase(who, request, rita) -> None:
    api = request.getfixturevalue(who)
    error(api.post(f"/contacts/{rita.pk}/erase"), 403)
    rita.refresh_from_db()
    assert rita.email == EMAIL and not Erasure.objects.exists()


def test_another_tenants_contact_is_not_found(admin_api, foreign) -> None:
    error(admin_api.post(f"/contacts/{foreign.contact_id}/erase"), 404)
    assert Contact.objects.get(pk=foreign.contact_id).name != ""
    assert not Erasure.objects.exists()


def test_unknown_and_bad_ids_are_refused(admin_api, anonymous_api, rita) -> None:
    error(admin_api.post("/contacts/999999999/erase"), 404)
    assert admin_api.post("/contacts/0/erase").status_code == 422
    error(anonymous_api.post(f"/contacts/{rita.pk}/erase"), 401)


def test_the_retention_period_is_a_tenant_setting(admin_api, agent_api, tenant) -> None:
    assert admin_api.get("/tenant/settings").json()["retention_months"] is None
    response = admin_api.patch("/tenant/settings", {"retention_months": 24})
    assert response.status_code == 200 and response.json()["retention_months"] == 24
    tenant.refresh_from_db()
    assert tenant.retention_months == 24
    entry = AuditEntry.objects.get(action="settings.retention_changed")
    assert entry.changes == {"retention_months": [None, 24]}
    assert admin_api.patch("/tenant/settings", {"retention_months": None}).json()[
        "retention_months"] is None
    error(admin_api.patch("/tenant/settings", {"retention_months": 0}), 422)
    error(admin_api.patch("/tenant/settings", {"retention_months": 5000}), 422)
    error(agent_api.patch("/tenant/settings", {"retention_months": 3}), 403)
    tenant.refresh_from_db()
    assert tenant.retention_months is None


# The pages.

def test_the_contact_page_offers_the_erasure_to_admins_only(admin, agent, rita) -> None:
    page = f"/contacts/{rita.pk}"
    assert b"erase-contact-link" in login(admin).get(page).content
    assert b"erase-contact-link" not in login(agent).get(page).content


def test_the_confirmation_page_lists_what_goes_and_needs_the_tick(admin, rita, clock) -> None:
    client = login(admin)
    url = f"/settings/privacy/contacts/{rita.pk}/erase"
    page = client.get(url)
    assert page.status_code == 200
    assert b"erase-preview" in page.content and b"Files they sent" in page.content
    refused = client.post(url, {})
    assert refused.status_code == 422 and b"Tick the box" in refused.content
    rita.refresh_from_db()
    assert rita.email == EMAIL
    done = client.post(url, {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == f"/contacts/{rita.pk}"
    assert _erased(rita)
    assert Erasure.objects.get().via == "web"
    assert client.get(url).status_code == 302  # erased already: back to the contact


def test_the_erasure_page_is_for_admins_of_the_tenant(manager, agent, outsider, rita) -> None:
    url = f"/settings/privacy/contacts/{rita.pk}/erase"
    assert login(agent).get(url).status_code == 403
    assert login(manager).post(url, {"confirm": "on"}).status_code == 403
    assert login(outsider).get(url).status_code == 404
    rita.refresh_from_db()
    assert rita.email == EMAIL


def test_the_privacy_settings_page(admin, manager, agent, tenant) -> None:
    client = login(admin)
    page = client.get("/settings/privacy")
    assert page.status_code == 200 and b"privacy-settings" in page.content
    bad = client.post("/settings/privacy", {"retention_months": "0"})
    assert bad.status_code == 422 and b"has-error" in bad.content
    saved = client.post("/settings/privacy", {"retention_months": "18"})
    assert saved.status_code == 302
    tenant.refresh_from_db()
    assert tenant.retention_months == 18
    assert client.post("/settings/privacy", {"retention_months": ""}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.retention_months is None
    reader = login(manager)
    assert reader.get("/settings/privacy").status_code == 200
    assert reader.post("/settings/privacy", {"retention_months": "3"}).status_code == 403
    assert login(agent).get("/settings/privacy").status_code == 403


# The command.

def _run(*args: str) -> str:
    out = StringIO()
    call_command("erase_contact", *args, stdout=out)
    return out.getvalue()


def test_the_command_erases_by_email_or_id(tenant, rita, clock) -> None:
    out = _run("--tenant", tenant.slug, "--email", "RITA.remove@erase.example", "--yes")
    assert f"Erased contact {rita.pk}" in out and "rita" not in out.lower()
    assert _erased(rita)
    again = _run("--tenant", tenant.slug, "--contact", str(rita.pk), "--yes")
    assert "nothing changed" in again
    assert Erasure.objects.get().via == "cli"
    with pytest.raises(CommandError, match="No contact with that email"):
        _run("--tenant", tenant.slug, "--email", EMAIL, "--yes")


def test_the_command_refuses_unknown_tenants_and_contacts(tenant, rita) -> None:
    with pytest.raises(CommandError, match="No tenant"):
        _run("--tenant", "nope", "--email", EMAIL, "--yes")
    with pytest.raises(CommandError, match="No contact 987654"):
        _run("--tenant", tenant.slug, "--contact", "987654", "--yes")
    with pytest.raises(CommandError):
        _run("--tenant", tenant.slug, "--yes")  # neither --email nor --contact


def test_the_command_asks_first(tenant, rita, monkeypatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="not confirmed"):
        _run("--tenant", tenant.slug, "--contact", str(rita.pk))
    rita.refresh_from_db()
    assert rita.email == EMAIL
    monkeypatch.setattr("builtins.input", lambda prompt: "erase")
    assert "Erased contact" in _run("--tenant", tenant.slug, "--contact", str(rita.pk))
    assert _erased(rita)
