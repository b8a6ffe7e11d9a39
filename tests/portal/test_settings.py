"""The portal's settings page (`/settings/portal`) and the branding every portal page and the
help centre show."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casedesk.portal.config import portal_settings
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import Clock, login

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _post(client: Client, **values: object) -> object:
    data = {"display_name": "Acme Help", "accent_colour": "#aa3300", "sender_name": "Acme"}
    data.update(values)  # type: ignore[arg-type]
    return client.post("/settings/portal", data)


def test_admin_changes_the_branding(tenant: Tenant, admin: Membership, clock: Clock) -> None:
    response = _post(login(admin), logo=SimpleUploadedFile("l.png", PNG,
                                                           content_type="image/png"))
    assert response.status_code == 302  # type: ignore[attr-defined]
    settings = portal_settings(tenant)
    assert (settings.display_name, settings.accent_colour, settings.sender_name) == (
        "Acme Help", "#aa3300", "Acme")
    assert settings.logo.name.endswith(".png")
    page = Client().get("/portal/acme/").content.decode()
    assert "Acme Help" in page and 'src="/portal/acme/logo"' in page
    logo = Client().get("/portal/acme/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"


def test_manager_reads_agent_is_refused(tenant: Tenant, manager: Membership,
                                        agent: Membership) -> None:
    reader = login(manager)
    assert reader.get("/settings/portal").status_code == 200
    assert _post(reader).status_code == 403  # type: ignore[attr-defined]
    assert portal_settings(tenant).pk is None
    assert login(agent).get("/settings/portal").status_code == 403
    assert Client().get("/settings/portal").status_code == 302


@pytest.mark.parametrize("colour", ["red", "#12345", "#12345g", "#1234567"])
def test_a_colour_that_is_not_rrggbb_is_refused(tenant: Tenant, admin: Membership,
                                                colour: str) -> None:
    response = _post(login(admin), accent_colour=colour)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert portal_settings(tenant).pk is None


def test_a_logo_must_be_an_image_by_its_bytes_and_small(tenant: Tenant,
                                                        admin: Membership) -> None:
    client = login(admin)
    fake = SimpleUploadedFile("l.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = _post(client, logo=fake)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert b"PNG, JPEG or WebP" in response.content  # type: ignore[attr-defined]
    big = SimpleUploadedFile("l.png", PNG + b"\x00" * 1024 * 1024, content_type="image/png")
    assert b"at most 1 MB" in _post(client, logo=big).content  # type: ignore[attr-defined]
    assert not portal_settings(tenant).logo


def test_branding_is_escaped_and_the_colour_set_through_a_nonced_style(
        tenant: Tenant, admin: Membership) -> None:
    _post(login(admin), display_name="<b>Acme</b>")
    page = Client().get("/portal/acme/").content.decode()
    assert "&lt;b&gt;Acme&lt;/b&gt;" in page and "<b>Acme</b>" not in page
    assert re.search(r'<style nonce="[^"]+">:root \{ --accent: #aa3300;', page)
    assert " style=" not in page


def test_the_help_centre_wears_the_portal_branding(tenant: Tenant, admin: Membership) -> None:
    _post(login(admin))
    page = Client().get("/portal/acme/kb/").content.decode()
    assert "Acme Help" in page and "--accent: #aa3300" in page


def test_removing_the_logo(tenant: Tenant, admin: Membership) -> None:
    client = login(admin)
    _post(client, logo=SimpleUploadedFile("l.png", PNG, content_type="image/png"))
    _post(client, remove_logo="on")
    assert not portal_settings(tenant).logo
    assert Client().get("/portal/acme/logo").status_code == 404
