"""`/settings/slack`: admins install the tenant's Slack app (signing secret and bot token),
change or uninstall it, and find what to paste into Slack's app configuration: the three
Request URLs, the scopes and a manifest. Posts Slack gave up on are listed."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import site_base
from casedesk.slack.forms import SlackForm
from casedesk.slack.installation import installation_remove, installation_save
from casedesk.slack.presenters import installation_view
from casedesk.slack.selectors import installation_of
from casedesk.tenancy.web import PageRequest, member, member_required, require_admin

_FIELDS = {"queue_id": "queue"}


@member_required
@require_http_methods(["GET", "POST"])
def slack_settings(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    tenant = membership.tenant
    installation = installation_of(tenant)
    form = SlackForm(tenant=tenant, installation=installation)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "uninstall":
            if installation_remove(tenant=tenant, actor=membership.user):
                messages.success(
                    request, "Slack uninstalled. Remove the app from the workspace in Slack too."
                )
            return redirect("slack:settings")
        form = SlackForm(request.POST, tenant=tenant, installation=installation)
        if form.is_valid():
            try:
                installation_save(
                    tenant=tenant, actor=membership.user, changes=form.changes(), now=clock.now()
                )
            except DomainError as error:
                add_domain_error(form, error, _FIELDS)
            else:
                messages.success(
                    request,
                    "Slack settings saved." if installation is not None else "Slack installed.",
                )
                return redirect("slack:settings")
        status = 422
    view = installation_view(tenant, installation, site_base(request))
    return render(
        request,
        "slack/settings.html",
        {
            "nav": "settings",
            "form": form,
            "tenant": tenant,
            "slack": view,
            "installation": installation,
            "manifest_json": json.dumps(view["manifest"], indent=2),
        },
        status=status,
    )
