"""The case page's "Similar cases" card and the composer's "Draft a reply".

`case_similar` is the card's fragment, loaded after the page (it costs a query of the index)
and again when something on the case changed; opened without htmx it is a page of its own.
`case_draft` answers the composer's button (assist/static/assist/similar.js puts the text
into the public reply box, never sending it); without JavaScript the button is a link to
the same view as a page, with the draft in a box to copy."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from casedesk.assist.drafts import reply_draft
from casedesk.assist.similar import similar_cases
from casedesk.cases.access import get_case_for_member
from casedesk.core.redirects import site_base
from casedesk.tenancy.web import PageRequest, member, member_required

SHOWN = 5


@member_required
@require_GET
def case_similar(request: PageRequest, number: str) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    found = similar_cases(membership.tenant, case, limit=SHOWN)
    template = "assist/similar_panel.html" if request.htmx else "assist/similar_page.html"
    return render(request, template, {"case": case, "similar": found})


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
