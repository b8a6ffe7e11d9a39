"""The knowledge base's analytics page (`/kb/analytics`): the figures `kb.analytics` counts
for a period — the tenant's totals, each article's, and the searches that found nothing.
Managers and admins, as in the API."""

from datetime import timedelta

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.forms import add_domain_error
from casedesk.kb import analytics as figures
from casedesk.tenancy.web import PageRequest, member, member_required, require_manager

MAX_ARTICLES = 100
MAX_GAPS = 20
PRESETS = (7, 30, 90, 365)


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, label="From",
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Until (exclusive)",
                            widget=forms.DateInput(attrs={"type": "date"}))


@member_required
@require_GET
def analytics(request: PageRequest) -> HttpResponse:
    """`?since=&until=` (dates in the tenant's zone, `until` exclusive); default the last 30
    days. A bad period is a form error on the page (400), nothing counted."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    now = clock.now()
    default = figures.period(tenant, None, None, now)
    form = PeriodForm(request.GET or None,
                      initial={"since": default.since, "until": default.until})
    context: dict[str, object] = {"nav": "kb", "form": form, "presets": PRESETS}
    span = None if form.is_bound else default
    if form.is_bound and form.is_valid():
        try:
            span = figures.period(tenant, form.cleaned_data["since"],
                                  form.cleaned_data["until"], now)
        except Invalid as error:
            add_domain_error(form, error)
    if span is None:
        return render(request, "kb/analytics.html", context, status=400)
    tomorrow = default.until
    context.update({
        "period": span,
        "totals": figures.tenant_totals(tenant, since=span.start, until=span.end),
        "articles": figures.article_figures(tenant, since=span.start, until=span.end,
                                            limit=MAX_ARTICLES),
        "gaps": figures.content_gaps(tenant, since=span.start, until=span.end,
                                     limit=MAX_GAPS),
        "preset_links": [(days, (tomorrow - timedelta(days=days)).isoformat(),
                          tomorrow.isoformat()) for days in PRESETS],
        "max_articles": MAX_ARTICLES,
    })
    return render(request, "kb/analytics.html", context)
