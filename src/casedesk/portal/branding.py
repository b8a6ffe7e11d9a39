"""How a tenant's portal looks: its name, logo and accent colour, and the sign-in mails'
sender name. An admin changes them (`portal_branding_change`); every portal page and the help
centre show them through `portal/base.html` (`brand_of`).

The logo is checked by its bytes (PNG, JPEG or WebP, at most LOGO_MAX_BYTES) and stored
under a random name with its type's extension; it is served by the portal's own URL. The
accent colour is a `#rrggbb` value and reaches the page as a CSS custom property inside a
nonce'd `<style>` block (the Content-Security-Policy refuses inline style attributes).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from casedesk.core.errors import Invalid
from casedesk.core.limits import check_fits
from casedesk.core.text import check_text
from casedesk.portal.config import portal_settings
from casedesk.portal.models import DEFAULT_ACCENT, PortalSettings
from casedesk.tenancy.audit import audit_change, audit_snapshot
from casedesk.tenancy.models import Tenant, User

LOGO_MAX_BYTES = 1024 * 1024
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LOGO_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
CHANGEABLE = ("display_name", "accent_colour", "sender_name")


def logo_type(head: bytes) -> str | None:
    """The logo's type by its first bytes, or None when it is none of LOGO_TYPES."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def type_of_stored_logo(name: str) -> str:
    """The type of a stored logo, by the extension `portal_branding_change` gave it."""
    for content_type, extension in LOGO_TYPES.items():
        if name.endswith(extension):
            return content_type
    return "application/octet-stream"


@dataclass(frozen=True)
class Brand:
    """What `portal/base.html` shows: a name, the logo's URL (or ""), the accent colour."""

    name: str
    logo_url: str
    accent: str


def brand_of(tenant: Tenant) -> Brand:
    """The tenant's branding, with defaults for what was never set; a stored colour that is
    not `#rrggbb` (it never should be) falls back to the default rather than reach CSS."""
    settings = portal_settings(tenant)
    accent = settings.accent_colour if COLOUR.fullmatch(settings.accent_colour or "") else (
        DEFAULT_ACCENT)
    logo_url = reverse("portal:logo", args=[tenant.slug]) if settings.logo else ""
    return Brand(settings.display_name or tenant.name, logo_url, accent.lower())


def portal_branding_change(*, tenant: Tenant, changes: dict[str, Any],
                           logo: UploadedFile[bytes] | None = None, remove_logo: bool = False,
                           now: datetime, actor: User | None = None) -> PortalSettings:
    """Changes the portal's name, accent colour, sender name and logo; refuses (Invalid,
    naming the field) a colour that is not `#rrggbb`, a logo that is not a PNG, JPEG or WebP
    by its bytes or is over LOGO_MAX_BYTES, text a column cannot hold. One transaction; a
    replaced logo's file leaves the storage once it has committed. The caller checks that
    the person is an admin."""
    values = {name: str(changes[name]).strip() for name in CHANGEABLE if name in changes}
    for name, value in values.items():
        check_text(value, field=name)
    check_fits(PortalSettings, values)
    if "accent_colour" in values and not COLOUR.fullmatch(values["accent_colour"]):
        raise Invalid("Give the colour as #rrggbb, e.g. #1d5fbf.", field="accent_colour")
    content = b""
    content_type = None
    if logo is not None:
        if (logo.size or 0) > LOGO_MAX_BYTES:
            raise Invalid("The logo may be at most 1 MB.", field="logo")
        content = logo.read(LOGO_MAX_BYTES + 1)
        if len(content) > LOGO_MAX_BYTES:
            raise Invalid("The logo may be at most 1 MB.", field="logo")
        content_type = logo_type(content[:16])
        if content_type is None:
            raise Invalid("The logo must be a PNG, JPEG or WebP image.", field="logo")
    with transaction.atomic():
        settings = portal_settings(tenant)
        if settings.pk is not None:
            settings = PortalSettings.objects.select_for_update().get(pk=settings.pk)
        old_logo = settings.logo.name if settings.logo else ""
        before = {**audit_snapshot(settings, CHANGEABLE), "logo": bool(old_logo)}
        for name, value in values.items():
            setattr(settings, name, value.lower() if name == "accent_colour" else value)
        if content_type is not None:
            name = secrets.token_hex(12) + LOGO_TYPES[content_type]
            settings.logo.save(name, ContentFile(content), save=False)
        elif remove_logo:
            settings.logo = ""
        settings.updated_at = now
        settings.save()
        new_logo = settings.logo.name if settings.logo else ""
        # The logo is told as there or not (and replaced), its file name means nothing.
        audit_change(tenant=tenant, actor=actor, action="portal_settings.updated",
                     target_type="tenant", target_id=tenant.pk, target_label="Portal branding",
                     before=before, after={**audit_snapshot(settings, CHANGEABLE),
                                           "logo": bool(new_logo)},
                     detail={"logo_replaced": True} if content_type is not None else None)
        if old_logo and old_logo != new_logo:
            storage = settings.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    return settings
