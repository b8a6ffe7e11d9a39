"""The case page's "Linked cases" panel: the case's links by role, a form to link another
case and a remove button per link.

The case page renders the panel with itself (`links_panel_html`) and loads it again (htmx)
when the case changes; adding and removing are plain posts answered with a redirect to the case page
and a message, so the timeline shows the new event at once.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases import links
from casedesk.cases.access import get_case_for_member, get_link_for_case
from casedesk.cases.forms import CaseLinkForm
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.tenancy.web import PageRequest, member, member_required


@member_required
@require_GET
def links_panel(request: PageRequest, number: str) -> HttpResponse:
    case = get_case_for_member(member(request), number)
    return HttpResponse(links_panel_html(request, case))


def links_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The panel's content; the case page renders it with itself the first time."""
    return render_to_string("cases/partials/_links_panel.html", {
        "case": case, "links": links.links_of(case), "form": CaseLinkForm()}, request)


@member_required
@require_POST
def link_add(request: PageRequest, number: str) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    form = CaseLinkForm(request.POST)
    if not form.is_valid():
        problems = " ".join(f"{form.fields[name].label}: {errors[0]}"
                            for name, errors in form.errors.items())
        messages.error(request, f"The link was not added. {problems}")
        return redirect("console:case_detail", case.display_number)
    try:
        # Another tenant's number, or one that names nothing, is "no such case" here too.
        other = get_case_for_member(membership, form.cleaned_data["case"])
        links.link_add(case=case, other=other, kind=form.cleaned_data["kind"],
                       actor=membership.user, now=clock.now())
    except DomainError as error:
        messages.error(request, f"The link was not added: {error.detail}")
    else:
        messages.success(request, f"Linked with {other.display_number}.")
    return redirect("console:case_detail", case.display_number)


@member_required
@require_POST
def link_remove(request: PageRequest, number: str, link_id: int) -> HttpResponse:
    membership = member(request)
    case = get_case_for_member(membership, number)
    try:
        if not 0 < link_id <= MAX_ID:
            raise NotFound(f"No link {link_id} on {case.display_number}.")
        links.link_remove(link=get_link_for_case(case, link_id), actor=membership.user,
                          now=clock.now())
    except DomainError as error:
        messages.error(request, f"The link was not removed: {error.detail}")
    else:
        messages.success(request, "Link removed.")
    return redirect("console:case_detail", case.display_number)
