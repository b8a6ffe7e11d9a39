"""The case page's "Similar cases" card and the composer's "Draft a reply".

`case_similar` is the card's fragment: the case page renders it with itself
(`similar_panel_html`) and asks again when something on the case changed; opened without htmx
it is a page of its own.
`case_draft` answers the composer's button (assist/static/assist/similar.js puts the text
into the public reply box, never sending it); without JavaScript the button is a link to
the same view as a page, with the draft in a box to copy."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from casedesk.assist.drafts import reply_draft
from casedesk.assist.similar import similar_cases
from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core.redirects import site_base
from casedesk.tenancy.web import PageRequest, member, member_required

SHOWN = 5


@member_required
@require_GET
def case_similar(request: PageRequest, number: str) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    if request.htmx:
        return HttpResponse(similar_panel_html(request, case))
    found = similar_cases(membership.tenant, case, limit=SHOWN)
    return render(request, "assist/similar_page.html", {"case": case, "similar": found})


def similar_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The card's content; the case page renders it with itself the first time."""
    found = similar_cases(member(request).tenant, case, limit=SHOWN)
    return render_to_string("assist/similar_panel.html", {"case": case, "similar": found}, request)


@member_required
@require_GET
def case_draft(request: PageRequest, number: str) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    draft = reply_draft(membership.tenant, case, member=membership, base_url=site_base(request))
    template = "assist/draft_panel.html" if request.htmx else "assist/draft_page.html"
    return render(request, template, {"case": case, "draft": draft})


urlpatterns = [
    path("cases/<str:number>/similar", case_similar, name="case_similar"),
    path("cases/<str:number>/draft", case_draft, name="case_draft"),
]
