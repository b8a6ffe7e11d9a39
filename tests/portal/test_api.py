"""The portal's settings over the API: managers read, admins change; a PATCH changes only the
fields it names, in one transaction; bad values are 422s that change nothing."""

import pytest

from casedesk.portal.config import portal_settings
from tests.api_checks import conforms, error

pytestmark = pytest.mark.django_db
PATH = "/portal/settings"


def test_managers_read_the_defaults(manager_api, tenant) -> None:
    body = conforms(manager_api.get(PATH), "GET", PATH)
    assert body["portal_url"].endswith(f"/portal/{tenant.slug}/")
    assert body["form_url"].endswith(f"/portal/{tenant.slug}/new")
    assert body["form_enabled"] is True and body["has_logo"] is False
    assert body["max_files"] == 5 and "application/pdf" in body["file_types"]


def test_admins_change_what_they_name(admin_api, tenant) -> None:
    response = admin_api.patch(PATH, {"display_name": "Acme Help", "accent_colour": "#AA3300",
                                      "only_known_contacts": True, "max_files": 2,
                                      "embed_origins": ["https://www.acme.example"]})
    body = conforms(response, "PATCH", PATH)
    assert body["display_name"] == "Acme Help" and body["accent_colour"] == "#aa3300"
    assert body["only_known_contacts"] is True and body["max_files"] == 2
    assert body["embed_origins"] == ["https://www.acme.example"]
    assert body["form_enabled"] is True  # not named: unchanged
    config = portal_settings(tenant)
    assert config.display_name == "Acme Help" and config.max_files == 2


@pytest.mark.parametrize("change, field", [
    ({"accent_colour": "red"}, "accent_colour"),
    ({"form_categories": ["No such category"]}, "form_categories"),
    ({"file_types": ["application/x-msdownload"]}, "file_types"),
    ({"embed_origins": ["javascript:alert(1)"]}, "embed_origins"),
    ({"display_name": "a\x00b"}, "display_name"),
    ({"form_enabled": None}, "form_enabled"),
])
def test_bad_values_change_nothing(admin_api, tenant, change, field) -> None:
    before = admin_api.get(PATH).json()
    error(admin_api.patch(PATH, {"display_name": "Changed?", **change}), 422)
    assert admin_api.get(PATH).json() == before


def test_agents_may_not_read_and_managers_may_not_change(agent_api, manager_api) -> None:
    error(agent_api.get(PATH), 403)
    error(manager_api.patch(PATH, {"display_name": "x"}), 403)
