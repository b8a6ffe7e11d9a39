"""The only way views and API handlers fetch an export: the member's tenant, admins only."""

from casedesk.core.access import tenant_row
from casedesk.core.errors import PermissionDenied
from casedesk.exporter.models import ExportJob
from casedesk.tenancy.models import Membership


def require_export_admin(membership: Membership) -> Membership:
    """Full exports hold every customer's data and every member's: admins only."""
    if not membership.is_admin:
        raise PermissionDenied("Only a tenant admin may export the whole tenant.")
    return membership


def get_export_for_member(membership: Membership, job_id: int) -> ExportJob:
    """The export `job_id` of the member's tenant; PermissionDenied for a non-admin,
    NotFound for anything else (another tenant's export included)."""
    require_export_admin(membership)
    return tenant_row(ExportJob.objects.select_related("tenant", "requested_by"),
                      membership.tenant_id, job_id, f"No export {job_id}.")


def exports_of(membership: Membership, *, limit: int = 50) -> list[ExportJob]:
    """The tenant's latest exports, newest first (admins)."""
    require_export_admin(membership)
    return list(ExportJob.objects.filter(tenant_id=membership.tenant_id)
                .select_related("requested_by").order_by("-created_at", "-pk")[:limit])
