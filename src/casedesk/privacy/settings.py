"""The tenant's privacy settings: the retention period, changed by the settings page and by
`PATCH /tenant/settings` (registered with tenancy in `apps.py`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from casedesk.core.errors import Invalid
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Tenant, User

RETENTION_SETTINGS = ("retention_months",)
MAX_RETENTION_MONTHS = 1200  # a hundred years: beyond it "keep" is what is meant


def check_retention_months(value: Any) -> int | None:
    """A whole number of months from 1 to MAX_RETENTION_MONTHS, or None (keep)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("retention_months is a whole number of months, or null to keep "
                      "cases as they are.", field="retention_months")
    if not 1 <= value <= MAX_RETENTION_MONTHS:
        raise Invalid(f"retention_months is from 1 to {MAX_RETENTION_MONTHS} (or null to "
                      "keep cases as they are).", field="retention_months")
    return value


def privacy_settings_update(*, tenant: Tenant, changes: dict[str, Any],
                            actor: User | None = None, via: str = "") -> Tenant:
    """Sets the retention period (months after closing; None keeps cases), recorded in the
    audit log when it changed."""
    unknown = set(changes) - set(RETENTION_SETTINGS)
    if unknown:
        raise Invalid(f"{sorted(unknown)[0]} is not a privacy setting.",
                      field=sorted(unknown)[0])
    if "retention_months" not in changes:
        return tenant
    months = check_retention_months(changes["retention_months"])
    before = tenant.retention_months
    if months == before:
        return tenant
    with transaction.atomic():
        tenant.retention_months = months
        tenant.save(update_fields=["retention_months"])
        audit_record(tenant=tenant, actor=actor, action="settings.retention_changed",
                     target_type="tenant", target_id=tenant.pk, target_label=tenant.name,
                     changes={"retention_months": [before, months]}, via=via)
    return tenant
