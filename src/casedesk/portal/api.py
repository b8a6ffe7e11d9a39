"""The portal's API: its settings, as the `/settings/portal` and `/settings/web-form` pages
change them — branding (name, accent colour, the sign-in mails' sender name) and the web
form (on or off, categories, attachment limits, only known contacts, embedding sites).
`GET /portal/settings` managers and admins, `PATCH` admins; the logo is uploaded on the page."""

from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from pydantic import Field

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.redirects import site_base
from casedesk.core.schemas import Error, Text
from casedesk.portal.branding import portal_branding_change
from casedesk.portal.config import portal_settings
from casedesk.portal.models import PortalSettings
from casedesk.portal.webform_settings import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_ORIGINS,
    webform_settings_change,
)
from casedesk.tenancy.api_auth import require_admin, require_manager
from casedesk.tenancy.models import Tenant

router = Router(tags=["portal"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
_FORM_FIELDS = ("form_enabled", "form_categories", "max_files", "max_file_bytes", "file_types",
                "only_known_contacts", "embed_origins")
_BRANDING_FIELDS = ("display_name", "accent_colour", "sender_name")

Name = Annotated[Text, Field(max_length=100)]
Item = Annotated[Text, Field(max_length=300)]


class PortalSettingsOut(Schema):
    portal_url: str = Field(description="Where customers sign in and see their cases.")
    form_url: str = Field(description="The web-to-case form.")
    display_name: str
    accent_colour: str
    sender_name: str
    has_logo: bool
    form_enabled: bool
    form_categories: list[str] = Field(description="Offered categories; empty: all.")
    max_files: int
    max_file_bytes: int
    file_types: list[str]
    only_known_contacts: bool
    embed_origins: list[str]


class PortalSettingsPatch(Schema):
    display_name: Name | None = None
    accent_colour: Annotated[Text, Field(max_length=7)] | None = Field(
        None, description="#rrggbb")
    sender_name: Name | None = None
    form_enabled: bool | None = None
    form_categories: list[Item] | None = Field(None, max_length=200)
    max_files: int | None = Field(None, ge=0, le=MAX_FILES)
    max_file_bytes: int | None = Field(None, ge=1, le=MAX_FILE_BYTES)
    file_types: list[Item] | None = Field(None, max_length=50)
    only_known_contacts: bool | None = None
    embed_origins: list[Item] | None = Field(None, max_length=MAX_ORIGINS)


def _out(request: HttpRequest, tenant: Tenant, config: PortalSettings) -> dict[str, Any]:
    base = site_base(request)
    return {
        "portal_url": base + reverse("portal:home", args=[tenant.slug]),
        "form_url": base + reverse("portal:webform", args=[tenant.slug]),
        "display_name": config.display_name, "accent_colour": config.accent_colour,
        "sender_name": config.sender_name, "has_logo": bool(config.logo),
        **{name: getattr(config, name) for name in _FORM_FIELDS},
    }


@router.get("/portal/settings", response={200: PortalSettingsOut, **ERRORS},
            summary="The customers' portal and web form settings")
def get_settings(request: HttpRequest) -> Any:
    tenant = require_manager(request).tenant
    return _out(request, tenant, portal_settings(tenant))


@router.patch("/portal/settings", response={200: PortalSettingsOut, **ERRORS},
              summary="Change the portal and web form settings")
def patch_settings(request: HttpRequest, payload: PortalSettingsPatch) -> Any:
    """Admins. The fields given change, in one transaction; the others stay."""
    tenant = require_admin(request).tenant
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    now = clock.now()
    with transaction.atomic():
        branding = {name: changes[name] for name in _BRANDING_FIELDS if name in changes}
        if branding:
            portal_branding_change(tenant=tenant, changes=branding, now=now)
        if any(name in changes for name in _FORM_FIELDS):
            current = portal_settings(tenant)
            form = {name: changes.get(name, getattr(current, name)) for name in _FORM_FIELDS}
            webform_settings_change(tenant=tenant, changes=form, now=now)
    return _out(request, tenant, portal_settings(tenant))
