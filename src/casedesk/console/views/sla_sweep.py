"""The "Run breach sweep now" button of the SLA settings page (`sla:settings`). The sweep
changes cases, so it lives on the cases floor; the button stays in the console, above both,
at the path it always had."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from casedesk.cases.models import Case
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core import clock
from casedesk.tenancy.web import PageRequest, member, member_required, require_admin

SWEEP_CASES_SHOWN = 25


@member_required
@require_POST
def sweep_now(request: PageRequest) -> HttpResponse:
    """Runs the breach sweep over the tenant's open cases now and shows what it did."""
    membership = require_admin(member(request))
    report = sla_sweep(now=clock.now(), tenant=membership.tenant)
    if not request.htmx:
        messages.success(request, f"Breach sweep done: {report.summary()}")
        return redirect(f"{reverse('sla:settings')}#sweep")
    numbers = list(Case.objects.filter(tenant=membership.tenant, pk__in=report.cases)
                   .order_by("number").values_list("number", flat=True)[:SWEEP_CASES_SHOWN])
    prefix = membership.tenant.case_prefix
    return render(request, "sla/settings.html#sweep-report", {
        "report": report, "breached": [f"{prefix}-{n}" for n in numbers]})


urlpatterns = [
    path("sla/sweep", sweep_now, name="sla_sweep"),
]
