"""The admin's side of the web form: changing its settings, and the two snippets that put
it on the tenant's own site (an <iframe> of the embed page; a plain HTML form that posts
here)."""

import re
from datetime import datetime
from html import escape
from typing import Any

from django.db import transaction
from django.urls import reverse

from casedesk.cases.models import PicklistKind, PicklistValue
from casedesk.core.errors import Invalid
from casedesk.portal.config import portal_settings
from casedesk.portal.models import PortalSettings
from casedesk.portal.webform import KNOWN_TYPES
from casedesk.tenancy.audit import audit_change, audit_snapshot
from casedesk.tenancy.models import Tenant, User

MAX_FILES = 20
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ORIGINS = 20
# An origin as browsers send it: scheme, host and an optional port; no path, no user.
_ORIGIN = re.compile(r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
                     r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?")


def clean_origin(raw: str) -> str:
    """`raw` as an origin (lower-case, no trailing slash), or Invalid naming embed_origins."""
    origin = raw.strip().lower().rstrip("/")
    port = origin.rpartition(":")[2]
    if (not _ORIGIN.fullmatch(origin) or len(origin) > 300
            or (port.isdecimal() and origin.count(":") == 2 and not 0 < int(port) < 65536)):
        raise Invalid(f"{raw.strip()[:100]!r} is not a site's origin: write the scheme and "
                      "host only, such as https://www.example.com.", field="embed_origins")
    return origin


WEBFORM_AUDITED = ("form_enabled", "form_categories", "max_files", "max_file_bytes",
                   "file_types", "only_known_contacts", "embed_origins")


def webform_settings_change(*, tenant: Tenant, changes: dict[str, Any], now: datetime,
                            actor: User | None = None) -> PortalSettings:
    """Saves the form's settings (making the tenant's row when it has none), or Invalid
    naming the field: a category the tenant does not have, a limit out of range, a type
    the form cannot tell, an origin that is not one."""
    categories = set(PicklistValue.objects.filter(
        tenant=tenant, kind=PicklistKind.CATEGORY).values_list("value", flat=True))
    wanted = list(dict.fromkeys(changes.get("form_categories", [])))
    unknown = [c for c in wanted if c not in categories]
    if unknown:
        raise Invalid(f"{unknown[0]!r} is not one of this tenant's categories.",
                      field="form_categories")
    max_files = int(changes["max_files"])
    if not 0 <= max_files <= MAX_FILES:
        raise Invalid(f"Between 0 and {MAX_FILES} files.", field="max_files")
    max_bytes = int(changes["max_file_bytes"])
    if not 1 <= max_bytes <= MAX_FILE_BYTES:
        raise Invalid(f"At most {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                      field="max_file_megabytes")
    types = list(dict.fromkeys(changes.get("file_types", [])))
    if any(t not in KNOWN_TYPES for t in types):
        raise Invalid("Choose among the types offered.", field="file_types")
    origins = list(dict.fromkeys(clean_origin(o) for o in changes.get("embed_origins", [])))
    if len(origins) > MAX_ORIGINS:
        raise Invalid(f"At most {MAX_ORIGINS} sites.", field="embed_origins")
    with transaction.atomic():
        config = portal_settings(tenant)
        if config.pk is not None:
            config = PortalSettings.objects.select_for_update().get(pk=config.pk)
        before = audit_snapshot(config, WEBFORM_AUDITED)
        config.form_enabled = bool(changes["form_enabled"])
        config.form_categories = wanted
        config.max_files = max_files
        config.max_file_bytes = max_bytes
        config.file_types = types
        config.only_known_contacts = bool(changes["only_known_contacts"])
        config.embed_origins = origins
        config.updated_at = now
        config.save()
        audit_change(tenant=tenant, actor=actor, action="webform_settings.updated",
                     target_type="tenant", target_id=tenant.pk, target_label="Web form",
                     before=before, after=audit_snapshot(config, WEBFORM_AUDITED))
    return config


def iframe_snippet(tenant: Tenant, base: str) -> str:
    """The <iframe> an admin pastes into their site (`base`: this site's scheme and host)."""
    src = base + reverse("portal:webform_embed", args=[tenant.slug])
    return (f'<iframe src="{escape(src)}" title="{escape(tenant.name)} support request" '
            'width="100%" height="900" style="border:0" loading="lazy"></iframe>')


def form_snippet(tenant: Tenant, base: str) -> str:
    """A plain HTML form that posts to the web form from the admin's site (listed among the
    embed origins); it has no fill-time stamp, the honeypot and the rate limits still hold."""
    action = base + reverse("portal:webform", args=[tenant.slug])
    return "\n".join([
        f'<form method="post" action="{escape(action)}" enctype="multipart/form-data">',
        '  <label>Name <input name="name" required maxlength="200"></label>',
        '  <label>Email <input type="email" name="email" required maxlength="254"></label>',
        '  <label>Subject <input name="subject" required maxlength="255"></label>',
        '  <label>How can we help? <textarea name="description" required></textarea></label>',
        '  <label>Files <input type="file" name="attachments" multiple></label>',
        '  <div style="position:absolute;left:-10000px" aria-hidden="true">',
        '    <input name="website" tabindex="-1" autocomplete="off"></div>',
        '  <button type="submit">Send</button>',
        "</form>",
    ])
