"""What the composer says about files: how many, how large, which types (the tenant's)."""

from dataclasses import dataclass

from django import template

from casedesk.cases.attachments import MAX_FILES_PER_NOTE, accepted_summary, allowed_types
from casedesk.core.files import EXTENSION_TYPES, OCTET_STREAM
from casedesk.tenancy.models import Tenant

register = template.Library()


@dataclass(frozen=True)
class AttachmentLimits:
    max_files: int
    max_bytes: int
    accepted: str
    # The file picker's `accept`: a hint to the browser only; the server reads the bytes.
    accept: str


@register.filter
def attachment_limits(tenant: Tenant) -> AttachmentLimits:
    types = allowed_types(tenant)
    if OCTET_STREAM in types:
        accept = ""
    else:
        extensions = sorted(f".{ext}" for ext, kind in EXTENSION_TYPES.items() if kind in types)
        accept = ",".join([*sorted(types), *extensions])
    return AttachmentLimits(max_files=MAX_FILES_PER_NOTE, max_bytes=tenant.attachment_max_bytes,
                            accepted=accepted_summary(tenant), accept=accept)
