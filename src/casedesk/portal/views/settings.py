"""The portal's settings page in the console, `/settings/portal`: admins change the
branding (name, logo, accent colour) and the sign-in mails' sender name; managers read it."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.forms import add_domain_error
from casedesk.portal.branding import brand_of, portal_branding_change
from casedesk.portal.config import portal_settings
from casedesk.portal.forms import BrandingForm
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)


@member_required
def portal_settings_page(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    tenant = membership.tenant
    current = portal_settings(tenant)
    form = BrandingForm.of(current)
    status = 200
    if request.method == "POST":
        require_admin(membership)
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                portal_branding_change(tenant=tenant, changes=data, logo=data["logo"],
                                       remove_logo=data["remove_logo"], now=clock.now())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Portal settings saved.")
                return redirect("portal:settings")
        status = 422
    return render(request, "portal/settings.html", {
        "nav": "settings", "form": form, "can_edit": membership.is_admin, "tenant": tenant,
        "brand": brand_of(tenant), "has_logo": bool(current.logo)}, status=status)
