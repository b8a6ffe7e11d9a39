"""`/settings/chat`: the tenant's live chat settings (admins change them, managers read them),
with the snippet a site pastes to show the widget and the lines its Content-Security-Policy
needs."""

from html import escape

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.chat import services
from casedesk.chat.forms import ChatSettingsForm
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import site_base
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)


def widget_snippet(tenant: Tenant, base: str) -> str:
    """The script tag a site pastes into its pages (`base`: this site's scheme and host);
    the loader's path is the visitor side's contract (`/chat/<slug>/widget.js`)."""
    return f'<script src="{escape(base)}/chat/{escape(tenant.slug)}/widget.js" async></script>'


def csp_lines(base: str) -> list[str]:
    """What a site with its own Content-Security-Policy adds so the widget loads: the
    loader script and the chat's frame both come from casedesk; the frame talks to casedesk
    itself, under casedesk's own policy."""
    return [f"script-src {base}", f"frame-src {base}"]


@member_required
@require_http_methods(["GET", "POST"])
def chat_settings_page(request: PageRequest) -> HttpResponse:
    """The chat's settings: admins change them, managers read them, agents are refused."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    config = services.chat_settings(tenant)
    form = ChatSettingsForm(initial=ChatSettingsForm.initial_of(config))
    status = 200
    if request.method == "POST":
        require_admin(membership)
        form = ChatSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.chat_settings_update(
                    tenant=tenant, actor=membership.user, changes=form.changes(), now=clock.now()
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Chat settings saved.")
                return redirect("chat:settings")
        status = 422
    base = site_base(request)
    return render(
        request,
        "chat/settings.html",
        {
            "nav": "settings",
            "form": form,
            "can_edit": membership.is_admin,
            "tenant": tenant,
            "config": config,
            "snippet": widget_snippet(tenant, base),
            "csp_lines": csp_lines(base),
        },
        status=status,
    )
