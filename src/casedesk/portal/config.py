"""A tenant's portal settings, with the defaults for a tenant that never changed them."""

from casedesk.portal.models import PortalSettings
from casedesk.tenancy.models import Tenant


def portal_settings(tenant: Tenant) -> PortalSettings:
    """The tenant's settings row, or an unsaved one holding the defaults."""
    found = PortalSettings.objects.filter(tenant=tenant).first()
    return found if found is not None else PortalSettings(tenant=tenant)
