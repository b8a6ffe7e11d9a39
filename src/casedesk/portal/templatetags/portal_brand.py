"""`{% portal_brand tenant as brand %}`: the tenant's portal branding for a layout
(`portal/base.html`, which the help centre's pages share); None without a tenant."""

from django import template

from casedesk.portal.branding import Brand, brand_of
from casedesk.tenancy.models import Tenant

register = template.Library()


@register.simple_tag
def portal_brand(tenant: Tenant | None) -> Brand | None:
    return brand_of(tenant) if tenant is not None else None
