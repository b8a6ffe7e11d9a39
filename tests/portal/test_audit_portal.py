"""What the portal's, the web form's and the surveys' settings record in the audit log."""

import pytest

from casedesk.core.errors import Invalid
from casedesk.csat.services import SettingsChange, csat_settings_update
from casedesk.portal.branding import portal_branding_change
from casedesk.portal.webform_settings import webform_settings_change
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import NOW

FORM = {"form_enabled": True, "form_categories": [], "max_files": 3,
        "max_file_bytes": 5 * 1024 * 1024, "file_types": [], "only_known_contacts": False,
        "embed_origins": ["https://www.acme.test"]}


def entries(tenant: Tenant, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action=action).order_by("id"))


def test_branding_changes_are_recorded(tenant, admin) -> None:
    portal_branding_change(tenant=tenant, changes={"display_name": "Acme Help"}, now=NOW,
                           actor=admin.user)
    with pytest.raises(Invalid):
        portal_branding_change(tenant=tenant, changes={"accent_colour": "red"}, now=NOW)
    [entry] = entries(tenant, "portal_settings.updated")
    assert entry.changes == {"display_name": ["", "Acme Help"]}
    assert entry.actor_id == admin.user_id


def test_web_form_settings_are_recorded(tenant) -> None:
    webform_settings_change(tenant=tenant, changes=FORM, now=NOW)
    webform_settings_change(tenant=tenant, changes=FORM, now=NOW)  # the same again: nothing
    with pytest.raises(Invalid):
        webform_settings_change(tenant=tenant, changes={**FORM, "max_files": 99}, now=NOW)
    [entry] = entries(tenant, "webform_settings.updated")
    assert entry.changes["embed_origins"] == [[], ["https://www.acme.test"]]


def test_survey_settings_are_recorded(tenant) -> None:
    csat_settings_update(tenant=tenant, change=SettingsChange(delay_hours=48), now=NOW)
    with pytest.raises(Invalid):
        csat_settings_update(tenant=tenant, change=SettingsChange(scale="stars"), now=NOW)
    [entry] = entries(tenant, "csat_settings.updated")
    assert entry.changes["delay_hours"][1] == 48
